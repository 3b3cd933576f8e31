import Dynamics
import Foundation

/// A model and its optimizer in a file, so training can stop and resume:
///
///     NOETHER-CHECKPOINT 2
///     kind=hnn sizes=2,200,200,1 activation=tanh shapes=2x200,200,200x200,200,200x1,1
///     system=harmonic names=q,p parameters=k:2,m:0.5
///     optimizer=adam steps=2000 rate=0.001 beta1=0.9 beta2=0.999 epsilon=1e-08 best=0.0123 waited=4
///
/// (best and waited: a reduce-on-plateau schedule's memory; files without them read as a fresh
/// schedule.)
/// then the parameters as little-endian doubles, Adam's first and second moments in the same
/// layout (when there is an optimizer), and an FNV-1a checksum of everything before it.
/// Written atomically (`AtomicFile`: a crash never leaves half a file, links are followed, the
/// mode of a replaced file is kept); loading refuses what is not a regular file, then checks the
/// magic, the header (every number in range: steps in 0...10^15, rates and epsilon positive and
/// finite, betas in [0, 1)), the length and the checksum, and says which failed.
public enum Checkpoint {
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// What the model was trained on (carried along so a loaded model can be used on its own).
    public struct Provenance: Sendable, Equatable {
        public var system: String
        public var names: [String]
        public var parameters: [String: Double]
        public init(system: String, names: [String], parameters: [String: Double]) {
            self.system = system; self.names = names; self.parameters = parameters
        }
    }

    public struct Contents {
        public var model: DynamicsModel
        public var optimizer: Adam?
        public var provenance: Provenance
    }

    static let magic = "NOETHER-CHECKPOINT 2\n"

    static func architecture(_ model: DynamicsModel) -> String {
        let shapes = model.parameters.map { $0.shape.map(String.init).joined(separator: "x") }.joined(separator: ",")
        return "kind=\(model.kind.rawValue) sizes=\(model.network.sizes.map(String.init).joined(separator: ",")) activation=\(model.network.activation.rawValue) shapes=\(shapes)"
    }

    static func number(_ x: Double) -> String { String(format: "%.17g", x) }

    static func fnv1a(_ bytes: Data) -> UInt64 { FNV1a.of(bytes) }

    /// The most optimizer steps a checkpoint may record: far beyond any run, far below overflow
    /// when a run's steps are added.
    public static let maximumSteps = 1_000_000_000_000_000

    public static func save(_ model: DynamicsModel, optimizer: Adam? = nil, provenance: Provenance, to path: String) throws {
        let names = provenance.names.joined(separator: ",")
        let parameters = provenance.parameters.keys.sorted().map { "\($0):\(number(provenance.parameters[$0]!))" }.joined(separator: ",")
        var header = magic + architecture(model) + "\nsystem=\(provenance.system) names=\(names) parameters=\(parameters)\n"
        if let o = optimizer {
            header += "optimizer=adam steps=\(o.steps) rate=\(number(o.learningRate)) beta1=\(number(o.beta1)) beta2=\(number(o.beta2)) epsilon=\(number(o.epsilon)) best=\(number(o.plateauBest)) waited=\(o.plateauWaited)\n"
        } else {
            header += "optimizer=none\n"
        }
        var data = Data(header.utf8)
        func append(_ values: [Double]) { for x in values { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } } }
        for p in model.parameters { append(p.value.storage) }
        if let o = optimizer {
            let (m, v) = o.moments(for: model.parameters)
            m.forEach(append); v.forEach(append)
        }
        withUnsafeBytes(of: fnv1a(data).littleEndian) { data.append(contentsOf: $0) }
        try AtomicFile.write(data, to: path)
    }

    /// What every checkpoint starts with (any version).
    static let signature = Data("NOETHER-CHECKPOINT ".utf8)

    /// Whether these bytes start like a checkpoint (any version), or are a cut-off start of one.
    public static func looksLikeCheckpoint(_ data: Data) -> Bool {
        !data.isEmpty && (data.starts(with: signature) || signature.starts(with: data))
    }

    /// Reads a checkpoint: builds the model it describes, with its parameters, and its optimizer.
    public static func read(_ path: String) throws -> Contents {
        try decode(try RegularFile.read(path), path: path)
    }

    /// Parses the bytes of a checkpoint read from `path` (named in messages).
    public static func decode(_ data: Data, path: String) throws -> Contents {
        guard !data.isEmpty else { throw FormatError(message: "'\(path)' is empty (0 bytes): not a checkpoint") }
        guard data.starts(with: signature) else {
            if signature.starts(with: data) { throw FormatError(message: "'\(path)' ends inside its first line: truncated") }
            throw FormatError(message: "'\(path)' is not a Noether checkpoint")
        }
        guard data.starts(with: Data(magic.utf8)) else {
            let line = String(decoding: data.prefix(40).prefix { $0 != 10 }, as: UTF8.self)
            throw FormatError(message: "'\(path)' is '\(FileError.quoted(line))'; this version of Noether reads '\(magic.dropLast())'")
        }
        // Three header lines after the magic.
        var lines: [String] = [], cursor = data.startIndex + magic.utf8.count
        for _ in 0..<3 {
            guard let end = data[cursor...].prefix(4096).firstIndex(of: 10) else {
                throw FormatError(message: "'\(path)' ends inside its header: truncated or damaged")
            }
            lines.append(String(decoding: data[cursor..<end], as: UTF8.self))
            cursor = end + 1
        }
        func fields(_ line: String, _ k: Int) throws -> [String: String] {
            var out: [String: String] = [:]
            for part in line.split(separator: " ") {
                guard let eq = part.firstIndex(of: "=") else { throw FormatError(message: "'\(path)': header line \(k + 2) is damaged near '\(FileError.quoted(part))'") }
                out[String(part[..<eq])] = String(part[part.index(after: eq)...])
            }
            return out
        }
        let arch = try fields(lines[0], 0), origin = try fields(lines[1], 1), opt = try fields(lines[2], 2)
        guard let kind = arch["kind"].flatMap(DynamicsModel.Kind.init(rawValue:)),
              let sizes = arch["sizes"].map({ $0.split(separator: ",").compactMap { Int($0) } }), sizes.count >= 3, sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }),
              let activation = arch["activation"].flatMap(Activation.init(rawValue:)),
              sizes[0] % 2 == 0, sizes.last == (kind == .hnn ? 1 : sizes[0]), Set(sizes.dropFirst().dropLast()).count == 1 else {
            throw FormatError(message: "'\(path)' describes a model this version cannot build (\(FileError.quoted(lines[0], limit: 200)))")
        }
        // The length check comes before building the model, so a damaged header cannot make
        // it allocate more than the file holds.
        let parameterCount = zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
        let optimizerLines = opt["optimizer"] == "adam" ? 3 : 1
        let headerLength = cursor - data.startIndex
        guard data.count == headerLength + 8 * parameterCount * optimizerLines + 8 else {
            throw FormatError(message: "'\(path)' has \(data.count) bytes, \(headerLength + 8 * parameterCount * optimizerLines + 8) expected: truncated or damaged")
        }
        let model = DynamicsModel(kind: kind, dimension: sizes[0], hidden: sizes[1], layers: sizes.count - 2, activation: activation, seed: 0)
        guard architecture(model) == lines[0] else { throw FormatError(message: "'\(path)' has inconsistent parameter shapes (\(FileError.quoted(lines[0], limit: 200)))") }
        var parameters: [String: Double] = [:]
        for item in (origin["parameters"] ?? "").split(separator: ",") {
            let kv = item.split(separator: ":")
            guard kv.count == 2, let v = Double(kv[1]), v.isFinite else { throw FormatError(message: "'\(path)': damaged parameter '\(FileError.quoted(item))'") }
            parameters[String(kv[0])] = v
        }
        let provenance = Provenance(system: origin["system"] ?? "?", names: (origin["names"] ?? "").split(separator: ",").map(String.init),
                                    parameters: parameters)
        guard provenance.names.count == model.dimension else { throw FormatError(message: "'\(path)' names \(provenance.names.count) state variables for a model of dimension \(model.dimension)") }
        var optimizer: Adam?
        if opt["optimizer"] == "adam" {
            guard let steps = opt["steps"].flatMap(Int.init), let rate = opt["rate"].flatMap(Double.init), let b1 = opt["beta1"].flatMap(Double.init),
                  let b2 = opt["beta2"].flatMap(Double.init), let eps = opt["epsilon"].flatMap(Double.init) else {
                throw FormatError(message: "'\(path)': damaged optimizer line '\(FileError.quoted(lines[2], limit: 200))'")
            }
            let best = opt["best"].map { Double($0) } ?? Double.infinity, waited = opt["waited"].map { Int($0) } ?? 0
            guard let best, let waited, waited >= 0 else { throw FormatError(message: "'\(path)': damaged optimizer line '\(FileError.quoted(lines[2], limit: 200))'") }
            // Each number in its range, so that resuming cannot trap or train on nonsense.
            func outOfRange(_ field: String, _ value: String, _ range: String) -> FormatError {
                FormatError(message: "'\(path)' header line 4: \(field)=\(FileError.quoted(value)) is out of range (\(range)): the file is damaged")
            }
            guard (0...maximumSteps).contains(steps) else { throw outOfRange("steps", opt["steps"]!, "0 to 1e15") }
            guard rate.isFinite, rate > 0 else { throw outOfRange("rate", opt["rate"]!, "a finite number > 0") }
            guard (0..<1).contains(b1) else { throw outOfRange("beta1", opt["beta1"]!, "0 <= beta1 < 1") }
            guard (0..<1).contains(b2) else { throw outOfRange("beta2", opt["beta2"]!, "0 <= beta2 < 1") }
            guard eps.isFinite, eps > 0 else { throw outOfRange("epsilon", opt["epsilon"]!, "a finite number > 0") }
            guard !best.isNaN else { throw outOfRange("best", opt["best"]!, "a number or inf") }
            guard waited <= maximumSteps else { throw outOfRange("waited", opt["waited"]!, "0 to 1e15") }
            optimizer = Adam(learningRate: rate, beta1: b1, beta2: b2, epsilon: eps)
            optimizer!.steps = steps
            (optimizer!.plateauBest, optimizer!.plateauWaited) = (best, waited)
        } else if opt["optimizer"] != "none" {
            throw FormatError(message: "'\(path)': unknown optimizer line '\(FileError.quoted(lines[2], limit: 200))'")
        }
        let stored = data.suffix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        guard UInt64(littleEndian: stored) == fnv1a(data.prefix(data.count - 8)) else {
            throw FormatError(message: "'\(path)' fails its checksum: the file is damaged")
        }
        var offset = cursor
        func next(_ n: Int) -> [Double] {
            let values = data[offset..<(offset + 8 * n)].withUnsafeBytes { raw in
                (0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            }
            offset += 8 * n
            return values
        }
        for p in model.parameters { p.value = Tensor(shape: p.shape, storage: next(p.value.count)) }
        if let o = optimizer {
            let m = model.parameters.map { next($0.value.count) }, v = model.parameters.map { next($0.value.count) }
            o.setMoments(m, v)
        }
        return Contents(model: model, optimizer: optimizer, provenance: provenance)
    }

    /// Loads parameters (and optimizer state, into `optimizer` if given) into a model of the
    /// same architecture.
    public static func load(_ path: String, into model: DynamicsModel, optimizer: Adam? = nil) throws {
        let contents = try read(path)
        guard architecture(contents.model) == architecture(model) else {
            throw FormatError(message: "'\(path)' holds a different model (\(architecture(contents.model))); this one is \(architecture(model))")
        }
        for (p, q) in zip(model.parameters, contents.model.parameters) { p.value = q.value }
        if let o = optimizer, let saved = contents.optimizer {
            o.steps = saved.steps
            o.learningRate = saved.learningRate
            (o.plateauBest, o.plateauWaited) = (saved.plateauBest, saved.plateauWaited)
            let (m, v) = saved.moments(for: model.parameters)
            o.setMoments(m, v)
        }
    }
}
