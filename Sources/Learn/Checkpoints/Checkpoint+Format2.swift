import Dynamics
import Foundation

// Format 2, read only (Noether before the model registry wrote it):
//
//     NOETHER-CHECKPOINT 2
//     kind=hnn sizes=2,200,200,1 activation=tanh shapes=2x200,200,200x200,200,200x1,1
//     system=harmonic names=q,p parameters=k:2,m:0.5
//     optimizer=adam steps=2000 rate=0.001 beta1=0.9 beta2=0.999 epsilon=1e-08 best=0.0123 waited=4
//
// then the parameters as little-endian doubles, Adam's moments in the same layout (with an
// optimizer) and the FNV-1a checksum. An MLP of d inputs, equal hidden widths and 1 (hnn) or d
// (baseline) outputs; best and waited are a reduce-on-plateau schedule's memory (absent in older
// files: a fresh schedule), read into the schedule's state with the optimizer's rate.

extension Checkpoint {
    static let format2Magic = "NOETHER-CHECKPOINT 2\n"

    static func decodeFormat2(_ data: Data, path: String) throws -> Contents {
        var reader = HeaderReader(data: data, path: path, cursor: data.startIndex + format2Magic.utf8.count)
        let lines = [try reader.line(), try reader.line(), try reader.line()]
        let arch = try reader.fields(lines[0], 2), origin = try reader.fields(lines[1], 3), opt = try reader.fields(lines[2], 4)
        guard let kind = arch["kind"], kind == "hnn" || kind == "baseline",
              let sizes = arch["sizes"].map({ $0.split(separator: ",").compactMap { Int($0) } }), sizes.count >= 3,
              sizes.allSatisfy({ $0 > 0 && $0 <= MLPArchitecture.maximumWidth }),
              let activation = arch["activation"].flatMap(Activation.init(rawValue:)),
              sizes[0] % 2 == 0, sizes.last == (kind == "hnn" ? 1 : sizes[0]), Set(sizes.dropFirst().dropLast()).count == 1, sizes.count - 2 <= 32 else {
            throw FormatError(message: "'\(path)' describes a model this version cannot build (\(FileError.quoted(lines[0], limit: 200)))")
        }
        let architecture = MLPArchitecture(dimension: sizes[0], hidden: sizes[1], layers: sizes.count - 2, outputs: sizes.last!, activation: activation)
        // The length check comes before building the model, so a damaged header cannot make
        // it allocate more than the file holds.
        let parameterCount = zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
        let copies = opt["optimizer"] == "adam" ? 3 : 1
        let headerLength = reader.cursor - data.startIndex
        guard data.count == headerLength + 8 * parameterCount * copies + 8 else {
            throw FormatError(message: "'\(path)' has \(data.count) bytes, \(headerLength + 8 * parameterCount * copies + 8) expected: truncated or damaged")
        }
        let shapes = architecture.parameterShapes.map { $0.shape.map(String.init).joined(separator: "x") }.joined(separator: ",")
        guard "kind=\(kind) sizes=\(sizes.map(String.init).joined(separator: ",")) activation=\(activation.rawValue) shapes=\(shapes)" == lines[0] else {
            throw FormatError(message: "'\(path)' has inconsistent parameter shapes (\(FileError.quoted(lines[0], limit: 200)))")
        }
        let provenance = try readProvenance(origin, path: path)
        guard provenance.names.count == architecture.dimension else {
            throw FormatError(message: "'\(path)' names \(provenance.names.count) state variables for a model of dimension \(architecture.dimension)")
        }
        var optimizer: Adam?, schedule: LearningRateScheduler.State?
        if opt["optimizer"] == "adam" {
            let adam = try readAdam(opt, line: lines[2], number: 4, path: path)
            schedule = try readSchedule(rate: opt["rate"]!, best: opt["best"] ?? "inf", waited: opt["waited"] ?? "0", line: lines[2], number: 4, path: path)
            optimizer = adam
        } else if opt["optimizer"] != "none" {
            throw FormatError(message: "'\(path)': unknown optimizer line '\(FileError.quoted(lines[2], limit: 200))'")
        }
        try checkChecksum(data, path: path)
        let model: any Model = kind == "hnn"
            ? HamiltonianNeuralNetwork(dimension: architecture.dimension, hidden: architecture.hidden, layers: architecture.layers, activation: activation, seed: 0)
            : BaselineModel(dimension: architecture.dimension, hidden: architecture.hidden, layers: architecture.layers, activation: activation, seed: 0)
        fill(model, optimizer: optimizer, from: data, at: reader.cursor)
        return Contents(model: model, optimizer: optimizer, schedule: schedule, provenance: provenance)
    }
}
