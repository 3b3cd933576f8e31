import Dynamics
import Symbolic

/// A dataset held by the session, with where it came from (a recipe, or the file it was read from).
struct DatasetValue: SavableValue {
    var dataset: Dataset
    var source: String

    var kindName: String { "a dataset" }

    var display: String {
        let d = dataset
        let trajectories = d.trajectoryCount, test = d.testTrajectoryCount
        let perTrajectory = trajectories > 0 ? d.count / trajectories : 0
        let params = d.parameters.keys.sorted().map { "\($0) = \(TextPrinter.format(d.parameters[$0]!, significantDigits: 6))" }.joined(separator: ", ")
        return "dataset: \(d.system) (\(source)), \(trajectories) trajectories x \(perTrajectory) samples = \(d.count) rows, "
            + "\(trajectories - test) train / \(test) test trajectories; state (\(d.names.joined(separator: ", "))) with exact derivatives; "
            + "noise \(TextPrinter.format(d.noise, significantDigits: 3)); seed \(d.seed)" + (params.isEmpty ? "" : "; \(params)")
            + d.notes.map { "\nnote: " + $0 }.joined()
    }

    /// An assignment prints nothing, except what reading a file noticed (one "note:" line each).
    var assignmentNote: String? {
        dataset.notes.isEmpty ? nil : dataset.notes.map { "note: " + $0 }.joined(separator: "\n")
    }

    func save(to path: String) throws -> String {
        try DatasetFile.write(dataset, to: path)
        return "wrote \(dataset.count) rows to \(path)"
    }
}
