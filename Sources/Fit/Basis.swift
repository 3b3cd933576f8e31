import Symbolic

/// Monomials in named variables up to a total degree, in graded order: the constant, then
/// degree 1 in variable order, then degree 2 (x0², x0x1, …, x1², …) and so on — the order of
/// scikit-learn's PolynomialFeatures. Because the order is graded, the columns of degree ≤ d
/// are a prefix of the columns of any higher degree (degree selection uses that).
public struct MonomialBasis: Sendable, Equatable {
    public let variables: [String]
    public let degree: Int
    /// Exponents of each monomial, one entry per variable.
    public let exponents: [[Int]]

    public init(variables: [String], degree: Int) throws {
        guard !variables.isEmpty else { throw FitError(message: "a monomial basis needs at least one variable") }
        guard Set(variables).count == variables.count else { throw FitError(message: "the variables \(variables) repeat a name") }
        guard (0...12).contains(degree) else { throw FitError(message: "degree \(degree) is outside 0...12") }
        self.variables = variables
        self.degree = degree
        var all: [[Int]] = [Array(repeating: 0, count: variables.count)]
        var previous = all
        for _ in 0..<degree {
            // Each monomial of the next degree once: multiply by a variable at or after its
            // last one (x0·x1 from x0, never again from x1).
            var next: [[Int]] = []
            for m in previous {
                let last = m.lastIndex(where: { $0 > 0 }) ?? 0
                for v in last..<variables.count { var e = m; e[v] += 1; next.append(e) }
            }
            all += next
            previous = next
            guard all.count <= 200_000 else { throw FitError(message: "degree \(degree) in \(variables.count) variables has too many monomials (over 200,000)") }
        }
        exponents = all
    }

    public var count: Int { exponents.count }

    /// The number of monomials of total degree ≤ d (a prefix of the basis).
    public func count(upTo d: Int) -> Int { exponents.prefix { $0.reduce(0, +) <= d }.count }

    public func totalDegree(_ k: Int) -> Int { exponents[k].reduce(0, +) }

    /// The k-th monomial as an expression.
    public func term(_ k: Int) -> Expr {
        var factors: [Expr] = []
        for (v, e) in zip(variables, exponents[k]) where e > 0 {
            factors.append(e == 1 ? Expr.symbol(v) : Expr.symbol(v) ** Expr.integer(e))
        }
        return factors.isEmpty ? Expr.integer(1) : Expr.product(factors)
    }

    public var terms: [Expr] { (0..<count).map(term) }

    /// The design matrix, row-major n × count, from states given row-major with the columns
    /// `columns` (a dataset's state order); each monomial is a parent monomial of one degree
    /// less times one variable, so every entry costs one multiplication.
    public func design(states: [Double], columns: [String]) throws -> [Double] {
        let index = try variables.map { v -> Int in
            guard let i = columns.firstIndex(of: v) else { throw FitError(message: "unknown variable '\(v)': the data has (\(columns.joined(separator: ", ")))") }
            return i
        }
        let width = columns.count, n = states.count / max(1, width), p = count
        // Parent and multiplying variable of each monomial.
        var position: [[Int]: Int] = [:]
        for (k, e) in exponents.enumerated() { position[e] = k }
        var parent = [Int](repeating: 0, count: p), factor = [Int](repeating: 0, count: p)
        for k in 1..<max(1, p) {
            let v = exponents[k].lastIndex(where: { $0 > 0 })!
            var e = exponents[k]
            e[v] -= 1
            parent[k] = position[e]!
            factor[k] = index[v]
        }
        var out = [Double](repeating: 0, count: n * p)
        states.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    let row = i * p, state = i * width
                    d[row] = 1
                    for k in 1..<max(1, p) { d[row + k] = d[row + parent[k]] * x[state + factor[k]] }
                }
            }
        }
        return out
    }
}
