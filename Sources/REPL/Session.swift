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
    /// Values that are not expressions (trajectories), by name.
    public private(set) var objects: [String: Value] = [:]

    public mutating func store(_ name: String, _ value: Value) {
        if definitions[name] != nil { definitions[name] = nil; names.removeAll { $0 == name } }
        objects[name] = value
    }

    public init() {}

    public mutating func define(_ name: String, _ value: Expr) {
        objects[name] = nil
        if definitions[name] == nil { names.append(name) }
        definitions[name] = value
    }

    /// Removes a definition or stored value.
    public mutating func forget(_ name: String) {
        definitions[name] = nil
        objects[name] = nil
        names.removeAll { $0 == name }
    }

    public var bracket: PoissonBracket { PoissonBracket(pairs) }

    public var coordinates: Set<String> { Set(pairs.flatMap { [$0.q, $0.p] }) }
}
