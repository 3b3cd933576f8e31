import Foundation
import Symbolic
import Dynamics
import Learn

/// `read("file")`: a dataset or a checkpoint, told apart by their first bytes.
enum Read: Verb {
    static let signature = Signature(
        name: "read", family: .data, usage: "read(\"file.csv\")   or   read(\"model.ckpt\")",
        summary: "reads a dataset file back (CSV, checking its preamble, header, every row, the row count and checksum; or .npz as save writes it, checking every array and CRC), or a checkpoint as a model (resume continues its training)",
        example: "read(\"/tmp/kepler.csv\")",
        positional: [.required("file", "a file name in quotes, as in read(\"data.csv\")")])

    static func run(_ call: BoundCall) throws -> Value {
        let path = try call.quoted(0)
        do {
            // One read (which refuses FIFOs, devices and directories), then the kind from the bytes.
            let bytes = try RegularFile.read(path)
            guard !bytes.isEmpty else { throw FileError("'\(path)' is empty (0 bytes): neither a dataset nor a checkpoint") }
            if Checkpoint.looksLikeCheckpoint(bytes) {
                let c = try Checkpoint.decode(bytes, path: path)
                return .object(ModelValue(model: c.model, optimizer: c.optimizer, schedule: c.schedule, report: nil, names: c.provenance.names,
                                          parameters: c.provenance.parameters, system: c.provenance.system, source: path))
            }
            if NumPyFile.looksLikeArchive(bytes) {
                return .object(DatasetValue(dataset: try DatasetArchive.decode(bytes, path: path), source: "read from \(path)"))
            }
            if NumPyFile.looksLikeArray(bytes) {
                throw FileError("'\(path)' is a single NumPy array (.npy); read takes a dataset, which NumPy holds as an .npz archive (save(data, \"d.npz\"))")
            }
            guard DatasetFile.looksLikeDataset(bytes) else {
                throw FileError("'\(path)' is neither a Noether dataset (its first line would be '# noether dataset 1', or a .npz archive) nor a checkpoint ('NOETHER-CHECKPOINT 3')")
            }
            return .object(DatasetValue(dataset: try DatasetFile.decode(bytes, path: path), source: "read from \(path)"))
        } catch { throw call.fail("\(error)", at: call.positional[0].location) }
    }
}
