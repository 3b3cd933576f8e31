import Foundation
import Symbolic
import Dynamics
import Learn

/// The options `train` and `resume` share, read once, and the run itself with its progress
/// on standard error.
struct TrainingRun {
    static let options: [OptionDeclaration] = [
        .init("steps", .whole(1...1_000_000), default: 2000, "optimizer steps"),
        .init("lr", .custom("a number > 0, or a list of them with boundaries: (a piecewise schedule)"), defaultText: "1e-3, or the resumed run's", "Adam's learning rate"),
        .init("boundaries", .numbers, "the steps at which a list of rates moves to the next (one fewer than the rates): lr: [1e-3, 1e-4], boundaries: [20000] is 1e-3 before step 20000 and 1e-4 from it"),
        .init("batch", .whole(0...10_000_000), default: 0, "rows per step (for a flow: trajectories, of points: points each); 0 is the whole train split"),
        .init("seed", .whole(0...Int.max), default: 0, "the seed of the initial weights and the minibatch draws"),
        .init("plateau", .between(0, 1), "the factor that cuts the rate"),
        .init("patience", .whole(1...1_000_000), default: 100, "steps without improvement before a cut"),
        .init("checkpoint", .file, "write model and optimizer here as training goes"),
    ]

    var steps: Int, batch: Int, seed: UInt64, rate: Double
    /// A piecewise schedule's (first step, rate) pieces, from lr: [...] and boundaries: [...].
    var pieces: [(Int, Double)]?
    var plateau: Double?, patience: Int, checkpoint: String?

    /// Reads the options; `rate` is the resumed run's learning rate, when there is one.
    init(_ call: BoundCall, rate: Double?) throws {
        try call.checkGivenOptions()
        steps = try call.whole("steps")!
        batch = try call.whole("batch")!
        seed = UInt64(try call.whole("seed")!)
        self.rate = rate ?? 1e-3
        if let lr = call.option("lr") {
            let evaluation = call.evaluation
            if case .list = try evaluation.value(lr) {
                let rates = try evaluation.numbers(lr, "lr")
                guard !rates.isEmpty, rates.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw call.fail("'lr:' rates are numbers > 0", at: lr.location) }
                let bounds = try call.numbers("boundaries") ?? []
                guard bounds.count == rates.count - 1 else {
                    throw call.fail("\(rates.count) rates need \(rates.count - 1) boundaries (the steps where the next rate starts), not \(bounds.count)", at: call.location(of: call.has("boundaries") ? "boundaries" : "lr"))
                }
                let steps = bounds.map { Int(exactly: $0) }
                guard steps.allSatisfy({ ($0 ?? 0) >= 2 }), zip(steps, steps.dropFirst()).allSatisfy({ $0! < $1! }) else {
                    throw call.fail("'boundaries:' are whole steps of at least 2, increasing", at: call.location(of: "boundaries"))
                }
                pieces = [(1, rates[0])] + zip(steps.map { $0! }, rates.dropFirst()).map { ($0, $1) }
                self.rate = rates[0]
            } else {
                self.rate = try evaluation.positiveOption(lr, "lr")
                if call.has("boundaries") { throw call.fail("'boundaries:' go with a list of rates, lr: [1e-3, 1e-4, ...]", at: call.location(of: "boundaries")) }
            }
        } else if call.has("boundaries") {
            throw call.fail("'boundaries:' go with a list of rates, lr: [1e-3, 1e-4, ...]", at: call.location(of: "boundaries"))
        }
        plateau = try call.number("plateau")
        if plateau != nil && pieces != nil { throw call.fail("'plateau:' and a piecewise lr: [...] are two schedules; give one", at: call.location(of: "plateau")) }
        patience = try call.whole("patience")!
        checkpoint = try call.file("checkpoint")
    }

    /// Trains `model` with `optimizer` on `data`, reporting progress on standard error: in
    /// place on a terminal, plain lines otherwise (transcripts and notebooks read standard
    /// output only).
    func train(_ model: any Model, optimizer: Adam, schedule state: LearningRateScheduler.State?, on data: Dataset, _ call: BoundCall) throws -> Value {
        optimizer.learningRate = rate
        do {
            let schedule: LearningRateSchedule = plateau.map { .reduceOnPlateau(factor: $0, patience: patience, threshold: 1e-4, minimum: rate * 1e-4) }
                ?? pieces.map { .piecewise($0) } ?? .constant
            let live = LiveOutput.progress, terminal = live == nil && isatty(STDERR_FILENO) != 0
            let options = TrainingOptions(steps: steps, batchSize: batch, learningRate: rate, seed: seed, reportEvery: max(1, steps / (terminal || live != nil ? 100 : 10)),
                                          schedule: schedule, checkpointPath: checkpoint)
            let report = try Learn.train(model, on: model.batchSource(for: data), options: options, optimizer: optimizer, schedule: state) { p in
                if let live { return live(p.bar()) }
                FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[2K" + p.bar() : p.line + "\n").utf8))
            }
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            return .object(ModelValue(model: model, optimizer: optimizer, schedule: report.schedule, report: report, names: data.names, parameters: data.parameters, system: data.system))
        } catch {
            throw call.fail("\(error)", at: checkpoint == nil ? call.positional[1].location : call.location)
        }
    }
}
