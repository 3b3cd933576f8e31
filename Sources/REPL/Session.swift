import Symbolic
import Dynamics

/// The state a REPL or notebook accumulates: canonical pairs, definitions, the loaded system.
///
/// A statement that fails leaves it exactly as it was: between `beginStatement` and
/// `commitStatement` every change is journalled (the previous value of each name touched, the
/// count of names, the pairs and system), and `rollBackStatement` restores them. The cost is
/// that of the changes, not of the session's size.
public struct Session {
    public var pairs: [CanonicalPair] = []
    /// Definitions in the order they were made (for `show`).
    public private(set) var names: [String] = []
    public private(set) var definitions: [String: Expr] = [:]
    public var system: HamiltonianSystem?
    /// Values that are not expressions (trajectories), by name.
    private(set) var objects: [String: Value] = [:]
    /// The metrics `record(name, value)` declared, in order (a scan's metrics file).
    public private(set) var records: [(name: String, value: Double)] = []

    /// What the running statement changed, to undo it.
    private struct Journal {
        var pairs: [CanonicalPair]
        var system: HamiltonianSystem?
        var nameCount: Int
        /// All names, saved before the first removal (appends are undone by count).
        var names: [String]?
        var definitions: [String: Expr?] = [:]
        var objects: [String: Value?] = [:]
        var records: [(name: String, value: Double)]
    }
    private var journal: Journal?

    public init() {}

    public mutating func beginStatement() {
        journal = Journal(pairs: pairs, system: system, nameCount: names.count, records: records)
    }

    public mutating func commitStatement() { journal = nil }

    /// Records a metric; recording a name again replaces its value, keeping its place.
    mutating func record(_ name: String, _ value: Double) {
        if let k = records.firstIndex(where: { $0.name == name }) { records[k].value = value } else { records.append((name, value)) }
    }

    public mutating func rollBackStatement() {
        guard let j = journal else { return }
        journal = nil
        for (name, old) in j.definitions {
            if let old { definitions[name] = old } else { definitions.removeValue(forKey: name) }
        }
        for (name, old) in j.objects {
            if let old { objects[name] = old } else { objects.removeValue(forKey: name) }
        }
        if let all = j.names { names = all } else if names.count > j.nameCount { names.removeLast(names.count - j.nameCount) }
        pairs = j.pairs
        system = j.system
        records = j.records
    }

    /// Saves `name`'s values before the statement first changes them.
    private mutating func remember(_ name: String, removing: Bool) {
        guard journal != nil else { return }
        if journal!.definitions.index(forKey: name) == nil { journal!.definitions.updateValue(definitions[name], forKey: name) }
        if journal!.objects.index(forKey: name) == nil { journal!.objects.updateValue(objects[name], forKey: name) }
        if removing && journal!.names == nil { journal!.names = names }
    }

    mutating func store(_ name: String, _ value: Value) {
        let redefines = definitions[name] != nil
        remember(name, removing: redefines)
        if redefines { definitions[name] = nil; names.removeAll { $0 == name } }
        objects[name] = value
    }

    public mutating func define(_ name: String, _ value: Expr) {
        remember(name, removing: false)
        objects[name] = nil
        if definitions[name] == nil { names.append(name) }
        definitions[name] = value
    }

    /// Removes a definition or stored value.
    public mutating func forget(_ name: String) {
        remember(name, removing: true)
        definitions[name] = nil
        objects[name] = nil
        names.removeAll { $0 == name }
    }

    public var bracket: PoissonBracket { PoissonBracket(pairs) }

    public var coordinates: Set<String> { Set(pairs.flatMap { [$0.q, $0.p] }) }
}
