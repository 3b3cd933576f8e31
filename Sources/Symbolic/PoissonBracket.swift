/// A canonical pair (q, p) of phase-space coordinates, {q, p} = 1.
public struct CanonicalPair: Hashable, Sendable {
    public var q: String
    public var p: String
    public init(_ q: String, _ p: String) { self.q = q; self.p = p }
}

/// The Poisson bracket over declared canonical pairs:
/// `{f, g} = Σ_i ∂f/∂q_i ∂g/∂p_i − ∂f/∂p_i ∂g/∂q_i`.
///
/// It is bilinear, antisymmetric, satisfies the Jacobi identity and the Leibniz rule, and
/// `{q_i, p_j} = δ_ij`. The result is canonical but not simplified: decide whether it is
/// zero with `Simplifier.isZero`.
public struct PoissonBracket: Sendable {
    public var pairs: [CanonicalPair]

    public init(_ pairs: [CanonicalPair]) { self.pairs = pairs }

    public func callAsFunction(_ f: Expr, _ g: Expr) -> Expr {
        var terms: [Expr] = []
        for pair in pairs {
            let fq = f.diff(pair.q), gp = g.diff(pair.p)
            if !fq.isZero && !gp.isZero { terms.append(.product([fq, gp])) }
            let fp = f.diff(pair.p), gq = g.diff(pair.q)
            if !fp.isZero && !gq.isZero { terms.append(.product([.minusOne, fp, gq])) }
        }
        return .sum(terms)
    }

    /// Hamilton's vector field ẋ = {x, H}, in the order q_1, p_1, q_2, p_2, …
    public func vectorField(_ hamiltonian: Expr) -> [Expr] {
        pairs.flatMap { [hamiltonian.diff($0.p), -hamiltonian.diff($0.q)] }
    }
}
