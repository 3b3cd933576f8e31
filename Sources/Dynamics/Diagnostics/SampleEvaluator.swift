import Symbolic

/// Expressions f_1…f_m of named variables, compiled once and evaluated at every row of a
/// row-major sample matrix: the values f_k(x_i) along a trajectory (an integrated field's or an
/// iterated map's) or over a dataset.
///
/// Parameters are bound to numbers when compiling; every other free symbol must be one of the
/// variables (`unknownSymbol` names the first that is not, before compiling). All rows go
/// through the same straight-line program, so f_k(x_i) is the same number whichever rows are
/// evaluated with it, and the same as `CompiledFunction` gives for that row. The values are
/// floating-point evaluations of exact expressions: two expressions equal as `Expr` can differ
/// here in the last bits when written differently. Keeps scratch space: one instance serves one
/// thread.
public struct SampleEvaluator {
    public let expressions: [Expr]
    /// The names of a row's components, in order.
    public let variables: [String]
    private let evaluator: CompiledEvaluator

    /// Throws `CompilationError` when an expression cannot be compiled (a symbol that is neither
    /// a variable nor a parameter, a function without a numeric form).
    public init(_ expressions: [Expr], variables: [String], parameters: [String: Double] = [:]) throws {
        self.expressions = expressions
        self.variables = variables
        evaluator = CompiledEvaluator(try CompiledFunction(expressions, inputs: variables, constants: parameters))
    }

    /// The first free symbol that is neither a variable nor a parameter: expressions in order,
    /// each one's symbols in alphabetical order. Nil when every symbol is bound.
    public static func unknownSymbol(in expressions: [Expr], variables: [String], parameters: [String: Double]) -> String? {
        let known = Set(variables).union(parameters.keys)
        for e in expressions {
            if let unknown = e.freeSymbols.sorted().first(where: { !known.contains($0) }) { return unknown }
        }
        return nil
    }

    /// values[k][i] = f_k(row i) for the first `count` rows of `rows`, row i being
    /// `rows[i*d ..< (i+1)*d]` with d = `variables.count`.
    public func values(rows: [Double], count: Int) -> [[Double]] {
        let m = expressions.count, d = variables.count
        precondition(rows.count >= count * d, "fewer values than rows x variables")
        var out = [[Double]](repeating: [Double](repeating: 0, count: count), count: m)
        var row = [Double](repeating: 0, count: m)
        rows.withUnsafeBufferPointer { x in
            guard let base = x.baseAddress else { return }
            for i in 0..<count {
                evaluator.evaluate(base + i * d, into: &row)
                for k in 0..<m { out[k][i] = row[k] }
            }
        }
        return out
    }

    /// values[k][i] = f_k at the trajectory's i-th sample.
    public func values(along trajectory: Trajectory) -> [[Double]] {
        precondition(trajectory.dimension == variables.count, "the trajectory's state has \(trajectory.dimension) components, the variables \(variables.count)")
        return values(rows: trajectory.states, count: trajectory.count)
    }

    /// values[k][i] = f_k at the dataset's i-th state (the states as stored, noise included).
    public func values(on dataset: Dataset) -> [[Double]] {
        precondition(dataset.dimension == variables.count, "the dataset's state has \(dataset.dimension) components, the variables \(variables.count)")
        return values(rows: dataset.states, count: dataset.count)
    }
}
