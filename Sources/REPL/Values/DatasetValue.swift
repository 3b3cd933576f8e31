import Dynamics
import Symbolic

/// A dataset held by the session, with where it came from (a recipe, or the file it was read from).
struct DatasetValue: SavableValue {
    var dataset: Dataset
    var source: String

    var kindName: String { "a dataset" }

    var display: String {
        let d = dataset
        if d.isSamples {
            let test = d.testTrajectoryCount, classes = d.labels.map { Set($0).count }
            return "samples: \(d.system) (\(source)), \(d.count) configurations (\(d.count - test) train / \(test) test) of \(d.dimension) coordinates (\(Self.abbreviated(d.names)))"
                + (classes.map { ", labelled in \($0) classes" } ?? "") + "; no momenta, times or derivatives"
                + (d.source.map { "\nsource: " + $0 } ?? "") + d.notes.map { "\nnote: " + $0 }.joined()
        }
        let trajectories = d.trajectoryCount, test = d.testTrajectoryCount
        let perTrajectory = trajectories > 0 ? d.count / trajectories : 0
        let params = d.parameters.keys.sorted().map { "\($0) = \(TextPrinter.format(d.parameters[$0]!, significantDigits: 6))" }.joined(separator: ", ")
        return "dataset: \(d.system) (\(source)), \(trajectories) trajectories x \(perTrajectory) samples = \(d.count) rows, "
            + "\(trajectories - test) train / \(test) test trajectories; state (\(d.names.joined(separator: ", "))) with exact derivatives; "
            + "noise \(TextPrinter.format(d.noise, significantDigits: 3)); seed \(d.seed)" + (params.isEmpty ? "" : "; \(params)")
            + d.notes.map { "\nnote: " + $0 }.joined()
    }

    /// Names, the middle elided past 8 (x1, x2, x3, ..., x64).
    static func abbreviated(_ names: [String]) -> String {
        names.count <= 8 ? names.joined(separator: ", ") : (names.prefix(3) + ["...", names.last!]).joined(separator: ", ")
    }

    /// An assignment prints nothing, except what reading a file noticed (one "note:" line each).
    var assignmentNote: String? {
        dataset.notes.isEmpty ? nil : dataset.notes.map { "note: " + $0 }.joined(separator: "\n")
    }

    func save(to path: String) throws -> String {
        if path.hasSuffix(".npy") {
            throw FileError("a dataset is several arrays (x, dx, t, trajectory, split): save it as .npz, which np.load reads, or as .csv")
        }
        if path.hasSuffix(".npz") { try DatasetArchive.write(dataset, to: path) } else { try DatasetFile.write(dataset, to: path) }
        return "wrote \(dataset.count) rows to \(path)"
    }
}

extension BoundCall {
    /// Positional argument `k` as a dataset. Configuration samples (no momenta, times or
    /// derivatives) are refused unless the verb takes them (`samples: true`).
    func dataset(_ k: Int, samples: Bool = false) throws -> Dataset {
        let data = try object(k, DatasetValue.self).dataset
        guard samples || !data.isSamples else {
            throw fail("\(name) needs trajectories with their derivatives; '\(data.system)' is configuration samples (no momenta, times or derivatives), which an nct's train, resume, evaluate, latent, plot, correlate, classify and jacobian take", at: positional[k].location)
        }
        return data
    }
}
