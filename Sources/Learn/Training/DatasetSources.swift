import Dynamics

// The batch sources over a `Dataset`: which rows of its training split make an item, and the
// tensors of a batch. Every source reads the rows in the dataset's order, so draws from the same
// (seed, step) give the same batch on every run.

/// The rows of a dataset's splits, and the rows of several rows copied out as a [rows, d] tensor.
struct DatasetRows {
    let data: Dataset
    let train: [Int], test: [Int]

    init(_ data: Dataset) {
        self.data = data
        train = (0..<data.count).filter { !data.isTest($0) }
        test = (0..<data.count).filter { data.isTest($0) }
    }

    /// Rows `rows` of `column` (states, derivatives), as [rows, d].
    func tensor(_ column: [Double], _ rows: [Int]) -> Tensor {
        let d = data.dimension
        var out = [Double]()
        out.reserveCapacity(rows.count * d)
        for r in rows { out += column[(r * d)..<((r + 1) * d)] }
        return Tensor(shape: [rows.count, d], storage: out)
    }

    var provenance: Checkpoint.Provenance { .init(system: data.system, names: data.names, parameters: data.parameters) }

    /// The checks every dataset source makes: something to train on, finite values.
    func validate(items: Int, what: String) throws {
        guard !train.isEmpty else { throw TrainingError(message: "the dataset has no training samples") }
        let d = data.dimension
        if let bad = data.states.firstIndex(where: { !$0.isFinite }) ?? data.derivatives.firstIndex(where: { !$0.isFinite }) {
            throw TrainingError(message: "the dataset has a non-finite value in row \(bad / d + 1)")
        }
        guard items > 0 else { throw TrainingError(message: "the dataset's training split has no \(what)") }
    }
}

/// Samples (x, ẋ) of a dataset's training split: item i is the i-th training row; a batch holds
/// `x` and `dx`, each [rows, d]. What the baseline and the HNN train on.
public struct DerivativePairs: BatchSource {
    let rows: DatasetRows

    public init(_ data: Dataset) { rows = DatasetRows(data) }

    public var dimension: Int { rows.data.dimension }
    public var count: Int { rows.train.count }
    public var provenance: Checkpoint.Provenance { rows.provenance }

    public func batch(_ items: [Int]) -> Batch { pairs(items.map { rows.train[$0] }) }

    public var testBatch: Batch? { rows.test.isEmpty ? nil : pairs(rows.test) }

    func pairs(_ r: [Int]) -> Batch {
        Batch(["x": rows.tensor(rows.data.states, r), "dx": rows.tensor(rows.data.derivatives, r)])
    }

    public func validate() throws { try rows.validate(items: count, what: "samples") }
}

/// Consecutive states (x_k, x_{k+1}) of the same trajectory with their time step: item i is the
/// i-th such pair of the training split, in row order; a batch holds `x` and `next`, each
/// [rows, d], and `dt` = t_{k+1} − t_k, [rows, 1]. Never pairs the last state of one trajectory
/// with the first of the next. What a step map (a SympNet) trains on.
public struct ConsecutivePairs: BatchSource {
    let rows: DatasetRows
    /// The first row of each pair, per split.
    let trainStarts: [Int], testStarts: [Int]

    public init(_ data: Dataset) {
        rows = DatasetRows(data)
        func starts(_ split: [Int]) -> [Int] {
            zip(split, split.dropFirst()).filter { $0 + 1 == $1 && data.trajectoryIDs[$0] == data.trajectoryIDs[$1] }.map(\.0)
        }
        trainStarts = starts(rows.train)
        testStarts = starts(rows.test)
    }

    public var dimension: Int { rows.data.dimension }
    public var count: Int { trainStarts.count }
    public var provenance: Checkpoint.Provenance { rows.provenance }

    public func batch(_ items: [Int]) -> Batch { pairs(items.map { trainStarts[$0] }) }

    public var testBatch: Batch? { testStarts.isEmpty ? nil : pairs(testStarts) }

    func pairs(_ first: [Int]) -> Batch {
        let t = rows.data.times
        return Batch(["x": rows.tensor(rows.data.states, first), "next": rows.tensor(rows.data.states, first.map { $0 + 1 }),
                      "dt": Tensor(shape: [first.count, 1], storage: first.map { t[$0 + 1] - t[$0] })])
    }

    public func validate() throws { try rows.validate(items: count, what: "consecutive pairs of states") }
}

/// Whole trajectories of the training split: item i is the i-th training trajectory (in order of
/// first appearance); a batch holds `x` [trajectories, samples, d] and `t` [trajectories,
/// samples]. The trajectories must have the same number of samples. What a model trained on
/// multi-step rollouts needs.
public struct Trajectories: BatchSource {
    let rows: DatasetRows
    /// The rows of each trajectory, per split.
    let trainTrajectories: [[Int]], testTrajectories: [[Int]]

    public init(_ data: Dataset) {
        rows = DatasetRows(data)
        func group(_ split: [Int]) -> [[Int]] {
            var order: [Int] = [], members: [Int: [Int]] = [:]
            for r in split {
                let id = data.trajectoryIDs[r]
                if members[id] == nil { order.append(id) }
                members[id, default: []].append(r)
            }
            return order.map { members[$0]! }
        }
        trainTrajectories = group(rows.train)
        testTrajectories = group(rows.test)
    }

    public var dimension: Int { rows.data.dimension }
    public var count: Int { trainTrajectories.count }
    public var provenance: Checkpoint.Provenance { rows.provenance }
    /// Samples per trajectory (of the first; `validate` checks that all agree).
    public var samples: Int { trainTrajectories.first?.count ?? 0 }

    public func batch(_ items: [Int]) -> Batch { stack(items.map { trainTrajectories[$0] }) }

    public var testBatch: Batch? { testTrajectories.isEmpty ? nil : stack(testTrajectories) }

    func stack(_ trajectories: [[Int]]) -> Batch {
        let d = dimension, n = trajectories.first?.count ?? 0
        let x = rows.tensor(rows.data.states, trajectories.flatMap { $0 })
        return Batch(["x": Tensor(shape: [trajectories.count, n, d], storage: x.storage),
                      "t": Tensor(shape: [trajectories.count, n], storage: trajectories.flatMap { $0.map { rows.data.times[$0] } })])
    }

    public func validate() throws {
        try rows.validate(items: count, what: "trajectories")
        let lengths = Set((trainTrajectories + testTrajectories).map(\.count))
        guard lengths.count == 1 else {
            throw TrainingError(message: "the trajectories have different numbers of samples (\(lengths.sorted().map(String.init).joined(separator: ", "))): a batch of whole trajectories needs one")
        }
    }
}

/// Plain states of the training split: item i is the i-th training row; a batch holds `x`
/// [rows, d]. What an unsupervised model (a latent encoder, a conserved-quantity network) needs.
public struct Samples: BatchSource {
    let rows: DatasetRows

    public init(_ data: Dataset) { rows = DatasetRows(data) }

    public var dimension: Int { rows.data.dimension }
    public var count: Int { rows.train.count }
    public var provenance: Checkpoint.Provenance { rows.provenance }

    public func batch(_ items: [Int]) -> Batch { Batch(["x": rows.tensor(rows.data.states, items.map { rows.train[$0] })]) }

    public var testBatch: Batch? { rows.test.isEmpty ? nil : Batch(["x": rows.tensor(rows.data.states, rows.test)]) }

    public func validate() throws { try rows.validate(items: count, what: "samples") }
}
