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
}
