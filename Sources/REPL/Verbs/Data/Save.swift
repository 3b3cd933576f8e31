import Foundation
import Symbolic
import Dynamics
import Learn

/// `save(data, "file.csv")` or `save(model, "model.ckpt")`: atomic, checksummed files.
enum Save: Verb {
    static let signature = Signature(
        name: "save", family: .data, usage: "save(data, \"file.csv\")   or   save(data, \"file.npz\")   or   save(model, \"model.ckpt\")",
        summary: "writes a dataset (or a table such as latent(m, data)) as CSV with a header (NumPy and pandas read it) or, by the name, as NumPy .npz (x, dx, t, trajectory, split, metadata) or a table as .npy, which np.load reads; or a model with its optimizer state as a checksummed checkpoint; atomically, through symbolic links, keeping a replaced file's permissions (FIFOs, devices and directories are refused)",
        example: "save(dataset(kepler3d, trajectories: 2, samples: 3), \"/tmp/kepler.csv\")",
        positional: [.required("value", "a dataset, a model or a table"), .required("file", "a file name in quotes, as in save(data, \"data.csv\")")])

    static func run(_ call: BoundCall) throws -> Value {
        let path = try call.quoted(1)
        let v = try call.value(0)
        guard case .object(let o as any SavableValue) = v else {
            throw call.fail("save writes datasets, models and tables; this is \(v.kindName)", at: call.positional[0].location)
        }
        do { return .text(try o.save(to: path)) } catch { throw call.fail("\(error)", at: call.positional[1].location) }
    }
}
