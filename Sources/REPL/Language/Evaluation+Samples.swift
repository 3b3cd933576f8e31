import Symbolic
import Dynamics

extension Evaluation {
    /// Values of expressions at every sample of a dataset (state names and parameters bound),
    /// or an error at `location` naming a symbol the data does not have.
    func sampleValues(of exprs: [Expr], on d: Dataset, at location: SourceLocation) throws -> [[Double]] {
        if let unknown = SampleEvaluator.unknownSymbol(in: exprs, variables: d.names, parameters: d.parameters) {
            throw fail("unknown variable '\(unknown)': the data has (\(d.names.joined(separator: ", ")))", at: location)
        }
        let evaluator: SampleEvaluator
        do { evaluator = try SampleEvaluator(exprs, variables: d.names, parameters: d.parameters) } catch {
            throw fail("\(error)", at: location)
        }
        return evaluator.values(on: d)
    }

    /// `[low, high]`, the degrees a fit selects from by held-out error (0 ≤ low ≤ high ≤ 12), from
    /// a list already evaluated.
    func degreeRange(_ v: Value, at location: SourceLocation) throws -> ClosedRange<Int> {
        let bounds = try numbers(v, at: location, "degree")
        guard bounds.count == 2, bounds.allSatisfy({ $0 == $0.rounded() }), bounds[0] >= 0, bounds[0] <= bounds[1], bounds[1] <= 12 else {
            throw fail("degree: [low, high] is the range of degrees to select from by held-out error (whole numbers, 0 ≤ low ≤ high ≤ 12)", at: location)
        }
        return Int(bounds[0])...Int(bounds[1])
    }
}
