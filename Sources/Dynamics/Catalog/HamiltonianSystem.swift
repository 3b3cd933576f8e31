import Symbolic

/// A system of the catalog: canonical coordinates, parameters with the papers' default
/// values, the Hamiltonian and its known invariants, all exact expressions.
public struct HamiltonianSystem: Sendable {
    public struct Parameter: Sendable {
        public var name: String
        public var defaultValue: Rational
        public var meaning: String
    }

    public struct Invariant: Sendable {
        public var name: String
        public var expr: Expr
        public var meaning: String
    }

    public var name: String
    public var title: String
    /// Where the system and its invariants come from.
    public var reference: String
    public var pairs: [CanonicalPair]
    public var parameters: [Parameter]
    public var hamiltonian: Expr
    public var invariants: [Invariant]

    /// The names a `load` defines, in order: H first, then the invariants.
    public var definitions: [(name: String, expr: Expr)] {
        [("H", hamiltonian)] + invariants.map { ($0.name, $0.expr) }
    }

    /// The parameters replaced by their default values.
    public var defaultValues: [Expr: Expr] {
        Dictionary(uniqueKeysWithValues: parameters.map { (Expr.symbol($0.name), Expr.rational($0.defaultValue)) })
    }

    /// Numeric values for the parameters: every parameter's default (`defaultValue` as the
    /// nearest `Double`), then `overrides` on top. An override may name a symbol that is not a
    /// declared parameter; it is kept, so a caller that binds more symbols passes them through.
    /// This is the one place where defaults and given values are merged.
    public func parameterValues(overriding overrides: [String: Double] = [:]) -> [String: Double] {
        var values: [String: Double] = [:]
        for p in parameters { values[p.name] = p.defaultValue.doubleValue }
        for (name, value) in overrides { values[name] = value }
        return values
    }

    public var degreesOfFreedom: Int { pairs.count }
}

extension HamiltonianSystem {
    /// A system typed by the user, not in the catalog: its H over `pairs`, no declared
    /// parameters (values for H's other symbols are given where it is compiled) and no
    /// invariants.
    public init(custom hamiltonian: Expr, pairs: [CanonicalPair], name: String = "custom") {
        self.init(name: name, title: "a Hamiltonian typed in the session", reference: "the session", pairs: pairs,
                  parameters: [], hamiltonian: hamiltonian, invariants: [])
    }
}

/// What a catalog lookup can fail with.
public struct CatalogError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
