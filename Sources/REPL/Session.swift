import Symbolic
import Dynamics

/// The state a REPL or notebook accumulates: canonical pairs, definitions, the loaded system.
/// A statement that fails leaves it exactly as it was (statements work on a copy).
public struct Session {
    public var pairs: [CanonicalPair] = []
    /// Definitions in the order they were made (for `show`).
    public private(set) var names: [String] = []
    public private(set) var definitions: [String: Expr] = [:]
    public var system: HamiltonianSystem?

    public init() {}

    public mutating func define(_ name: String, _ value: Expr) {
        if definitions[name] == nil { names.append(name) }
        definitions[name] = value
    }

    public var bracket: PoissonBracket { PoissonBracket(pairs) }

    public var coordinates: Set<String> { Set(pairs.flatMap { [$0.q, $0.p] }) }
}
