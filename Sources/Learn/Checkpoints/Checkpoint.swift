import Dynamics
import Foundation
import Symbolic

/// A model, its optimizer and its schedule in a file, so training can stop and resume:
///
///     NOETHER-CHECKPOINT 3
///     kind=hnn dimension=2 hidden=200 layers=2 activation=tanh
///     system=harmonic names=q,p parameters=k:2,m:0.5
///     optimizer=adam steps=2000 rate=0.001 beta1=0.9 beta2=0.999 epsilon=1e-08
///     schedule=state rate=0.001 best=0.0123 waited=4
///     tensors=6
///     layer1.weight 2x200
///     layer1.bias 200
///     …
///
/// The second line is the model's kind (its `ModelRegistry` entry) and spec; the third its
/// provenance; `optimizer=none` and `schedule=none` when there are none. Then the named tensors'
/// values as little-endian doubles in the listed order, Adam's first and second moments in the
/// same layout (when there is an optimizer), and an FNV-1a checksum of everything before it.
///
/// Written atomically (`AtomicFile`: a crash never leaves half a file, links are followed, the
/// mode of a replaced file is kept); loading refuses what is not a regular file, then checks the
/// magic, the header (a kind the registry knows, tensor names and shapes those its spec
/// describes, every number in range: steps in 0...10^15, rates and epsilon positive and finite,
/// betas in [0, 1)), the length (before anything is allocated) and the checksum, and says which
/// failed. Files of format 2 (`Checkpoint+Format2.swift`) still load.
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
        public var model: any Model
        public var optimizer: Adam?
        /// The schedule's state of the run (nil when there is no optimizer).
        public var schedule: LearningRateScheduler.State?
        public var provenance: Provenance
    }

    static let magic = "NOETHER-CHECKPOINT 3\n"

    /// `kind=… spec`: the model's line.
    static func architecture(_ model: any Model) -> String { "kind=\(model.kind)" + (model.spec.entries.isEmpty ? "" : " \(model.spec)") }

    static func number(_ x: Double) -> String { String(format: "%.17g", x) }

    static func fnv1a(_ bytes: Data) -> UInt64 { FNV1a.of(bytes) }

    /// The most optimizer steps a checkpoint may record: far beyond any run, far below overflow
    /// when a run's steps are added.
    public static let maximumSteps = 1_000_000_000_000_000

    /// The most tensors a checkpoint may list.
    public static let maximumTensors = 4096

    public static func save(_ model: any Model, optimizer: Adam? = nil, schedule: LearningRateScheduler.State? = nil,
                            provenance: Provenance, to path: String) throws {
        let names = provenance.names.joined(separator: ",")
        let parameters = provenance.parameters.keys.sorted().map { "\($0):\(number(provenance.parameters[$0]!))" }.joined(separator: ",")
        var header = magic + architecture(model) + "\nsystem=\(escaped(provenance.system)) names=\(names) parameters=\(parameters)\n"
        if let o = optimizer {
            header += "optimizer=adam steps=\(o.steps) rate=\(number(o.learningRate)) beta1=\(number(o.beta1)) beta2=\(number(o.beta2)) epsilon=\(number(o.epsilon))\n"
            let s = schedule ?? .init(rate: o.learningRate)
            header += "schedule=state rate=\(number(s.rate)) best=\(number(s.best)) waited=\(s.waited)\n"
        } else {
            header += "optimizer=none\nschedule=none\n"
        }
        let named = model.parameters
        header += "tensors=\(named.count)\n"
        for (name, value) in named { header += "\(name) \(value.shape.map(String.init).joined(separator: "x"))\n" }
        var data = Data(header.utf8)
        func append(_ values: [Double]) { for x in values { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } } }
        let variables = named.map(\.value)
        for p in variables { append(p.value.storage) }
        if let o = optimizer {
            let (m, v) = o.moments(for: variables)
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

    /// The header's lines after the magic, reading from `cursor` on: each at most 4096 bytes.
    struct HeaderReader {
        let data: Data
        let path: String
        var cursor: Data.Index

        mutating func line() throws -> String {
            guard let end = data[cursor...].prefix(4096).firstIndex(of: 10) else {
                throw FormatError(message: "'\(path)' ends inside its header: truncated or damaged")
            }
            defer { cursor = end + 1 }
            return String(decoding: data[cursor..<end], as: UTF8.self)
        }

        /// The key=value fields of header line `number` (counting the magic as line 1).
        func fields(_ line: String, _ number: Int) throws -> [String: String] {
            var out: [String: String] = [:]
            for part in line.split(separator: " ") {
                guard let eq = part.firstIndex(of: "=") else { throw FormatError(message: "'\(path)': header line \(number) is damaged near '\(FileError.quoted(part))'") }
                out[String(part[..<eq])] = String(part[part.index(after: eq)...])
            }
            return out
        }
    }

    /// Parses the bytes of a checkpoint read from `path` (named in messages).
    public static func decode(_ data: Data, path: String) throws -> Contents {
        guard !data.isEmpty else { throw FormatError(message: "'\(path)' is empty (0 bytes): not a checkpoint") }
        guard data.starts(with: signature) else {
            if signature.starts(with: data) { throw FormatError(message: "'\(path)' ends inside its first line: truncated") }
            throw FormatError(message: "'\(path)' is not a Noether checkpoint")
        }
        if data.starts(with: Data(format2Magic.utf8)) { return try decodeFormat2(data, path: path) }
        guard data.starts(with: Data(magic.utf8)) else {
            let line = String(decoding: data.prefix(40).prefix { $0 != 10 }, as: UTF8.self)
            throw FormatError(message: "'\(path)' is '\(FileError.quoted(line))'; this version of Noether reads '\(magic.dropLast())' (and '\(format2Magic.dropLast())')")
        }
        var reader = HeaderReader(data: data, path: path, cursor: data.startIndex + magic.utf8.count)
        let modelLine = try reader.line(), originLine = try reader.line(), optimizerLine = try reader.line()
        let scheduleLine = try reader.line(), countLine = try reader.line()
        // The model: a kind the registry knows, and a spec it accepts.
        let firstWord = modelLine.prefix { $0 != " " }
        guard firstWord.hasPrefix("kind="), let spec = ModelSpec(parsing: modelLine.dropFirst(firstWord.count)) else {
            throw FormatError(message: "'\(path)': header line 2 is damaged ('\(FileError.quoted(modelLine, limit: 200))')")
        }
        let kind = String(firstWord.dropFirst(5))
        let entry: ModelRegistry.Entry
        do { entry = try ModelRegistry.entry(kind) } catch {
            var message = "'\(path)': header line 2 names a model kind this version cannot build ('kind=\(FileError.quoted(kind))'; kinds: \(ModelRegistry.names.joined(separator: ", ")))"
            if let s = ExprBuilder.suggestion(for: kind, among: ModelRegistry.names) { message += "; did you mean '\(s)'?" }
            throw FormatError(message: message)
        }
        let expected: [(name: String, shape: [Int])]
        do { expected = try entry.parameterShapes(spec) } catch {
            throw FormatError(message: "'\(path)' describes a model this version cannot build (\(FileError.quoted(modelLine, limit: 200))): \(error)")
        }
        // The tensors: the names and shapes the spec describes, in its order.
        let countField = try reader.fields(countLine, 6)
        guard let tensorCount = countField["tensors"].flatMap(Int.init), (1...maximumTensors).contains(tensorCount) else {
            throw FormatError(message: "'\(path)': header line 6 is damaged ('\(FileError.quoted(countLine, limit: 200))')")
        }
        var total = 0
        for k in 0..<tensorCount {
            let line = try reader.line()
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            let dims = parts.count == 2 ? parts[1].split(separator: "x", omittingEmptySubsequences: false).map { Int($0) } : []
            guard parts.count == 2, !dims.isEmpty, dims.allSatisfy({ $0 != nil && $0! > 0 && $0! <= MLPArchitecture.maximumWidth }) else {
                throw FormatError(message: "'\(path)': tensor line \(k + 1) is damaged ('\(FileError.quoted(line, limit: 200))')")
            }
            let shape = dims.map { $0! }
            guard k < expected.count, expected[k].name == parts[0], expected[k].shape == shape else {
                let want = k < expected.count ? "\(expected[k].name) \(expected[k].shape.map(String.init).joined(separator: "x"))" : "no more tensors"
                throw FormatError(message: "'\(path)': tensor \(k + 1) is '\(FileError.quoted(line, limit: 200))', but its \(kind) spec describes \(want): the file is damaged")
            }
            // The spec's shapes are bounded (widths up to 2^16), so the sum of at most 4096 of them
            // cannot overflow.
            total += shape.reduce(1, *)
        }
        guard tensorCount == expected.count else {
            throw FormatError(message: "'\(path)' lists \(tensorCount) tensors; its \(kind) spec describes \(expected.count): the file is damaged")
        }
        // The length check comes before building the model, so a damaged header cannot make it
        // allocate more than the file holds.
        let optimizerFields = try reader.fields(optimizerLine, 4)
        let copies = optimizerFields["optimizer"] == "adam" ? 3 : 1
        let headerLength = reader.cursor - data.startIndex
        let (payload, overflow) = total.multipliedReportingOverflow(by: 8 * copies)
        guard !overflow, data.count == headerLength + payload + 8 else {
            throw FormatError(message: "'\(path)' has \(data.count) bytes, \(overflow ? "far more" : String(headerLength + payload + 8)) expected: truncated or damaged")
        }
        let provenance = try readProvenance(try reader.fields(originLine, 3), path: path)
        var optimizer: Adam?, schedule: LearningRateScheduler.State?
        switch optimizerFields["optimizer"] {
        case "adam":
            optimizer = try readAdam(optimizerFields, line: optimizerLine, number: 4, path: path)
            let fields = try reader.fields(scheduleLine, 5)
            guard fields["schedule"] == "state", let rateText = fields["rate"], let bestText = fields["best"], let waitedText = fields["waited"] else {
                throw FormatError(message: "'\(path)': damaged schedule line '\(FileError.quoted(scheduleLine, limit: 200))'")
            }
            schedule = try readSchedule(rate: rateText, best: bestText, waited: waitedText, line: scheduleLine, number: 5, path: path)
        case "none":
            guard scheduleLine == "schedule=none" else { throw FormatError(message: "'\(path)': a schedule line '\(FileError.quoted(scheduleLine, limit: 200))' without an optimizer") }
        default:
            throw FormatError(message: "'\(path)': unknown optimizer line '\(FileError.quoted(optimizerLine, limit: 200))'")
        }
        try checkChecksum(data, path: path)
        let model: any Model
        do { model = try entry.decode(spec) } catch {
            throw FormatError(message: "'\(path)' describes a model this version cannot build (\(FileError.quoted(modelLine, limit: 200))): \(error)")
        }
        // A point transformation fitted to configuration samples names their n coordinates.
        guard provenance.names.count == model.dimension || (model is any PointTransformationModel && 2 * provenance.names.count == model.dimension) else {
            throw FormatError(message: "'\(path)' names \(provenance.names.count) state variables for a model of dimension \(model.dimension)")
        }
        if let constrained = model as? any ConstrainedModel, !constrained.constraints.isEmpty, constrained.constraints.coordinates != provenance.names {
            throw FormatError(message: "'\(path)' has constraints of (\(constrained.constraints.coordinates.joined(separator: ", "))) for a state named (\(provenance.names.joined(separator: ", "))): the file is inconsistent")
        }
        fill(model, optimizer: optimizer, from: data, at: reader.cursor)
        return Contents(model: model, optimizer: optimizer, schedule: schedule, provenance: provenance)
    }

    /// A system name in a header field, whose fields are separated by spaces: '%' and ' ' as
    /// %25 and %20 (`chain(n: 8)` is `chain(n:%208)`); names without either are unchanged, so
    /// older files read the same.
    static func escaped(_ name: String) -> String {
        name.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: " ", with: "%20")
    }

    static func unescaped(_ field: String) -> String {
        field.replacingOccurrences(of: "%20", with: " ").replacingOccurrences(of: "%25", with: "%")
    }

    /// The provenance line's fields.
    static func readProvenance(_ origin: [String: String], path: String) throws -> Provenance {
        var parameters: [String: Double] = [:]
        for item in (origin["parameters"] ?? "").split(separator: ",") {
            let kv = item.split(separator: ":")
            guard kv.count == 2, let v = Double(kv[1]), v.isFinite else { throw FormatError(message: "'\(path)': damaged parameter '\(FileError.quoted(item))'") }
            parameters[String(kv[0])] = v
        }
        return Provenance(system: unescaped(origin["system"] ?? "?"), names: (origin["names"] ?? "").split(separator: ",").map(String.init), parameters: parameters)
    }

    /// An error for a header number out of its range.
    static func outOfRange(_ path: String, _ number: Int, _ field: String, _ value: String, _ range: String) -> FormatError {
        FormatError(message: "'\(path)' header line \(number): \(field)=\(FileError.quoted(value)) is out of range (\(range)): the file is damaged")
    }

    /// Adam from its header fields, each number in its range, so that resuming cannot trap or
    /// train on nonsense.
    static func readAdam(_ opt: [String: String], line: String, number: Int, path: String) throws -> Adam {
        guard let steps = opt["steps"].flatMap(Int.init), let rate = opt["rate"].flatMap(Double.init), let b1 = opt["beta1"].flatMap(Double.init),
              let b2 = opt["beta2"].flatMap(Double.init), let eps = opt["epsilon"].flatMap(Double.init) else {
            throw FormatError(message: "'\(path)': damaged optimizer line '\(FileError.quoted(line, limit: 200))'")
        }
        guard (0...maximumSteps).contains(steps) else { throw outOfRange(path, number, "steps", opt["steps"]!, "0 to 1e15") }
        guard rate.isFinite, rate > 0 else { throw outOfRange(path, number, "rate", opt["rate"]!, "a finite number > 0") }
        guard (0..<1).contains(b1) else { throw outOfRange(path, number, "beta1", opt["beta1"]!, "0 <= beta1 < 1") }
        guard (0..<1).contains(b2) else { throw outOfRange(path, number, "beta2", opt["beta2"]!, "0 <= beta2 < 1") }
        guard eps.isFinite, eps > 0 else { throw outOfRange(path, number, "epsilon", opt["epsilon"]!, "a finite number > 0") }
        let optimizer = Adam(learningRate: rate, beta1: b1, beta2: b2, epsilon: eps)
        optimizer.steps = steps
        return optimizer
    }

    /// A schedule's state from its fields, each in range.
    static func readSchedule(rate rateText: String, best bestText: String, waited waitedText: String, line: String, number: Int,
                             path: String) throws -> LearningRateScheduler.State {
        guard let rate = Double(rateText), let best = Double(bestText), let waited = Int(waitedText), waited >= 0 else {
            throw FormatError(message: "'\(path)': damaged \(number == 4 ? "optimizer" : "schedule") line '\(FileError.quoted(line, limit: 200))'")
        }
        guard rate.isFinite, rate > 0 else { throw outOfRange(path, number, "rate", rateText, "a finite number > 0") }
        guard !best.isNaN else { throw outOfRange(path, number, "best", bestText, "a number or inf") }
        guard waited <= maximumSteps else { throw outOfRange(path, number, "waited", waitedText, "0 to 1e15") }
        return .init(rate: rate, best: best, waited: waited)
    }

    /// The last 8 bytes must be the FNV-1a hash of the rest.
    static func checkChecksum(_ data: Data, path: String) throws {
        let stored = data.suffix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        guard UInt64(littleEndian: stored) == fnv1a(data.prefix(data.count - 8)) else {
            throw FormatError(message: "'\(path)' fails its checksum: the file is damaged")
        }
    }

    /// Sets the model's parameters, then the optimizer's moments, from the doubles at `offset`
    /// (the length was checked).
    static func fill(_ model: any Model, optimizer: Adam?, from data: Data, at start: Data.Index) {
        var offset = start
        func next(_ n: Int) -> [Double] {
            let values = data[offset..<(offset + 8 * n)].withUnsafeBytes { raw in
                (0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            }
            offset += 8 * n
            return values
        }
        let variables = model.variables
        for p in variables { p.value = Tensor(shape: p.shape, storage: next(p.value.count)) }
        if let o = optimizer {
            let m = variables.map { next($0.value.count) }, v = variables.map { next($0.value.count) }
            o.setMoments(m, v)
        }
    }

    /// Loads parameters (and optimizer state, into `optimizer` if given) into a model of the
    /// same kind and spec; returns the file's schedule state.
    @discardableResult
    public static func load(_ path: String, into model: any Model, optimizer: Adam? = nil) throws -> LearningRateScheduler.State? {
        let contents = try read(path)
        guard architecture(contents.model) == architecture(model) else {
            throw FormatError(message: "'\(path)' holds a different model (\(architecture(contents.model))); this one is \(architecture(model))")
        }
        for (p, q) in zip(model.variables, contents.model.variables) { p.value = q.value }
        if let o = optimizer, let saved = contents.optimizer {
            o.steps = saved.steps
            o.learningRate = saved.learningRate
            let (m, v) = saved.moments(for: model.variables)
            o.setMoments(m, v)
        }
        return contents.schedule
    }
}
