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
/// zero with `Simplifier.isZero`. Gradients are cached per bracket value, so brackets of
/// several invariants with one Hamiltonian differentiate the Hamiltonian once.
public struct PoissonBracket: @unchecked Sendable {
    public let pairs: [CanonicalPair]
    private let cache = GradientCache()

    public init(_ pairs: [CanonicalPair]) { self.pairs = pairs }

    /// (∂e/∂q_i, ∂e/∂p_i) for every pair.
    public func gradient(_ e: Expr) -> [(dq: Expr, dp: Expr)] {
        if let known = cache.lookup(e) { return known }
        let g = pairs.map { (e.diff($0.q), e.diff($0.p)) }
        cache.store(e, g)
        return g
    }

    public func callAsFunction(_ f: Expr, _ g: Expr) -> Expr {
        let (df, dg) = (gradient(f), gradient(g))
        var terms: [Expr] = []
        for i in pairs.indices {
            if !df[i].dq.isZero && !dg[i].dp.isZero { terms.append(.product([df[i].dq, dg[i].dp])) }
            if !df[i].dp.isZero && !dg[i].dq.isZero { terms.append(.product([.minusOne, df[i].dp, dg[i].dq])) }
        }
        return .sum(terms)
    }

    /// Hamilton's vector field ẋ = {x, H}, in the order q_1, p_1, q_2, p_2, …
    public func vectorField(_ hamiltonian: Expr) -> [Expr] {
        gradient(hamiltonian).flatMap { [$0.dp, -$0.dq] }
    }

    /// A small most-recent cache (bounded, so a long session does not grow it without end).
    final class GradientCache: @unchecked Sendable {
        private var entries: [(Expr, [(dq: Expr, dp: Expr)])] = []
        private let capacity = 16

        func lookup(_ e: Expr) -> [(dq: Expr, dp: Expr)]? { entries.first { $0.0 == e }?.1 }

        func store(_ e: Expr, _ g: [(dq: Expr, dp: Expr)]) {
            if entries.count >= capacity { entries.removeFirst() }
            entries.append((e, g))
        }
    }
}
