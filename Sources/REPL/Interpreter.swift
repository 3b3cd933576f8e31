import Symbolic
import Dynamics

/// Runs statements of the Noether language against a `Session`.
///
/// Pipeline: `Lexer` → `Parser` (expressions) → statement forms here → evaluation. Every
/// error is a `Diagnostic` with line, column and caret; a failing statement leaves the session
/// as it was, and the statements after it still run.
public final class Interpreter {
    public private(set) var session = Session()
    /// The time limit of each statement in seconds (`--timeout`); nil for none. A statement
    /// that runs longer stops with `Interrupted`, and the next one runs.
    public var timeout: Double?
    /// Whether outcomes carry LaTeX and HTML forms besides their lines (the Jupyter kernel).
    public var richOutput = false

    public init(timeout: Double? = nil) { self.timeout = timeout }

    /// One statement's result: its output lines, or the error it raised.
    public struct Outcome {
        public var lines: [String]
        public var failed: Bool
        /// The result as LaTeX math (an expression, or `latex(e)`), with `richOutput`.
        public var latex: String?
        /// The result as an HTML fragment (a table), with `richOutput`.
        public var html: String?
        /// Whether Ctrl-C (or the notebook's stop button) stopped it.
        public var stoppedByUser = false

        public init(lines: [String], failed: Bool, latex: String? = nil, html: String? = nil, stoppedByUser: Bool = false) {
            (self.lines, self.failed, self.latex, self.html, self.stoppedByUser) = (lines, failed, latex, html, stoppedByUser)
        }
    }

    /// The most nodes an expression result may have to be sent as LaTeX too.
    static let largestLaTeXSize = 20_000

    /// Executes every statement in `source` (separated by newlines or `;`). Each statement runs
    /// under `Interrupt`: Ctrl-C stops it and skips the rest of `source`; its time limit stops
    /// it and the next statement runs. Either way the session stays as it was before it.
    /// `each` sees every outcome as soon as its statement ends.
    public func execute(_ source: String, each: ((Outcome) -> Void)? = nil) -> [Outcome] {
        // A stop requested before this source started (the stop button while idle) is not for it.
        Interrupt.endStatement()
        defer { Interrupt.endStatement() }
        var outcomes: [Outcome] = []
        func append(_ o: Outcome) { outcomes.append(o); each?(o) }
        var parser: Parser
        do { parser = try Parser(source) } catch let d as Diagnostic {
            append(Outcome(lines: d.description.components(separatedBy: "\n"), failed: true))
            return outcomes
        } catch {
            append(Outcome(lines: ["error: \(error)"], failed: true))
            return outcomes
        }
        while true {
            while parser.current.kind == .newline || parser.current.kind == .semicolon { parser.advance() }
            if parser.current.kind == .end { break }
            // Ctrl-C (the stop button) between two statements stops the rest (the next
            // statement's start would clear it). A time limit is the last statement's own.
            if let stop = Interrupt.pending(), stop.reason == .userInterrupt {
                append(Outcome(lines: ["error: \(stop)"], failed: true, stoppedByUser: true))
                break
            }
            // The statement works on the session itself, which journals what it changes: a copy
            // per statement cost time in proportion to the session (20,000 definitions took 16 s).
            session.beginStatement()
            var succeeded = false
            defer { if !succeeded { session.rollBackStatement() } }
            Interrupt.beginStatement(timeout: timeout)
            do {
                let value = try statement(&parser, &session)
                guard parser.atEnd else {
                    throw parser.error("unexpected \(parser.current.kind.spelling) after the statement")
                }
                // A stop that came while a loop without checks (or one that falls back on any
                // error) ran: the result may be partial, so it is not kept.
                try Interrupt.check()
                session.commitStatement()
                succeeded = true
                let text = value.display
                var outcome = Outcome(lines: text.isEmpty ? [] : text.components(separatedBy: "\n"), failed: false)
                if richOutput { (outcome.latex, outcome.html) = Interpreter.rich(value) }
                append(outcome)
            } catch let stop as Interrupted {
                append(Outcome(lines: ["error: \(stop)"], failed: true, stoppedByUser: stop.reason == .userInterrupt))
                if stop.reason == .userInterrupt { break }
                while !parser.atEnd { parser.advance() }
            } catch where Interrupt.isRequested {
                // Wrapped on its way up (a verb reports its module's errors as diagnostics).
                let stop = Interrupt.pending() ?? Interrupted(reason: .userInterrupt, limit: nil)
                append(Outcome(lines: ["error: \(stop)"], failed: true, stoppedByUser: stop.reason == .userInterrupt))
                if stop.reason == .userInterrupt { break }
                while !parser.atEnd { parser.advance() }
            } catch let d as Diagnostic {
                append(Outcome(lines: d.description.components(separatedBy: "\n"), failed: true))
                while !parser.atEnd { parser.advance() }
            } catch {
                append(Outcome(lines: ["error: " + Diagnostic.escaped(Diagnostic.clipped("\(error)"))], failed: true))
                while !parser.atEnd { parser.advance() }
            }
        }
        return outcomes
    }

    /// A value's LaTeX and HTML forms, where it has them.
    static func rich(_ value: Value) -> (latex: String?, html: String?) {
        switch value {
        case .expr(let e) where e.size <= largestLaTeXSize: return (LaTeXPrinter().print(e), nil)
        case .latex(let s): return (s, nil)
        case .table(let t): return (nil, t.html)
        case .object(let o): return (nil, o.html)
        default: return (nil, nil)
        }
    }

    // MARK: Statements

    func statement(_ p: inout Parser, _ s: inout Session) throws -> Value {
        if case .identifier(let word) = p.current.kind {
            let next = p.tokens[min(p.position + 1, p.tokens.count - 1)].kind
            if next == .assign { return try assignment(&p, &s, word) }
            let isStatementForm = next != .leftParen || word == "load" || word == "canonical"
            if isStatementForm {
                switch word {
                case "canonical": p.advance(); return try canonical(&p, &s)
                case "load": p.advance(); return try load(&p, &s)
                case "show": p.advance(); return try show(&p, s)
                case "help": p.advance(); return try help(&p)
                default: break
                }
            }
        }
        let syntax = try p.parseExpression()
        let value = try Interpreter.bounded(try Evaluation(session: s, source: p.source).value(syntax), syntax, p.source)
        if case .object(let effect as any SessionEffect) = value { return effect.apply(to: &s) }
        return value
    }

    /// The value, unless it holds an expression nested deeper than `Expr.maximumDepth`: such
    /// an expression would overflow the stack of the next verb that walks it, so it is refused
    /// where it is made (a chain of definitions a_k = sin(a_{k-1}) stops at the limit).
    static func bounded(_ value: Value, _ syntax: Syntax, _ source: String) throws -> Value {
        switch value {
        case .expr(let e): try checkBounds(e, syntax, source)
        case .list(let items): for case .expr(let e) in items { try checkBounds(e, syntax, source) }
        default: break
        }
        return value
    }

    /// Refuses an expression nested deeper than `Expr.maximumDepth`, or holding an infinite or
    /// NaN float (verbs compute with floats too: subs, eval), at the syntax that made it.
    static func checkBounds(_ e: Expr, _ syntax: Syntax, _ source: String) throws {
        guard e.depth <= Expr.maximumDepth else {
            throw Diagnostic("the result nests \(e.depth) levels deep, past the limit of \(Expr.maximumDepth) (each level is a function, power, product or sum inside another)", at: syntax.location, in: source)
        }
        if e.containsNonFiniteNumber {
            throw Diagnostic("the result is not a finite number (a float overflowed past 1.8e308, or is NaN)", at: syntax.location, in: source)
        }
    }

    func assignment(_ p: inout Parser, _ s: inout Session, _ name: String) throws -> Value {
        let nameToken = p.current
        if Verbs.reserved.contains(name) {
            throw p.error("'\(name)' is a built-in name and cannot be assigned", at: nameToken)
        }
        if s.coordinates.contains(name) {
            throw p.error("'\(name)' is a canonical coordinate; it cannot be assigned (declare other pairs with 'canonical' first)", at: nameToken)
        }
        p.advance(); p.advance()
        if p.atEnd { throw p.error("expected an expression after '=', found \(p.current.kind.spelling)") }
        let syntax = try p.parseExpression()
        let value = try Interpreter.bounded(try Evaluation(session: s, source: p.source).value(syntax), syntax, p.source)
        if case .object(let effect as any SessionEffect) = value {
            throw Diagnostic("\(effect.kindName.prefix(1).uppercased() + effect.kindName.dropFirst()) changes the session and prints; it has no value to assign", at: syntax.location, in: p.source)
        }
        guard value.isAssignable else {
            throw Diagnostic("only expressions, lists and the objects verbs make (trajectories, datasets, models, fits) can be assigned; this is \(value.kindName)", at: syntax.location, in: p.source)
        }
        if case .expr(let e) = value { s.define(name, e) } else { s.store(name, value) }
        // An assignment prints nothing, except what the object has to say (what reading a file noticed).
        if case .object(let o) = value, let note = o.assignmentNote { return .text(note) }
        return .none
    }

    func canonical(_ p: inout Parser, _ s: inout Session) throws -> Value {
        var pairs: [CanonicalPair] = []
        var seen = Set<String>()
        repeat {
            if !pairs.isEmpty { p.advance() }
            try p.expect(.leftParen, "'(' to start a pair such as (q, p)")
            var names: [String] = []
            for k in 0..<2 {
                guard case .identifier(let n) = p.current.kind else {
                    throw p.error("expected a coordinate name, found \(p.current.kind.spelling)")
                }
                if Verbs.reserved.contains(n) { throw p.error("'\(n)' is a built-in name, not a coordinate") }
                if seen.contains(n) { throw p.error("'\(n)' appears twice among the canonical pairs") }
                if s.definitions[n] != nil { throw p.error("'\(n)' is already defined as an expression") }
                seen.insert(n); names.append(n)
                p.advance()
                if k == 0 { try p.expect(.comma, "',' between q and p") }
            }
            try p.expect(.rightParen, "')' to close the pair")
            pairs.append(CanonicalPair(names[0], names[1]))
        } while p.current.kind == .comma
        s.pairs = pairs
        return .none
    }

    func load(_ p: inout Parser, _ s: inout Session) throws -> Value {
        guard case .identifier(let name) = p.current.kind else {
            throw p.error("expected a system name after 'load' (e.g. load kepler3d), found \(p.current.kind.spelling)")
        }
        let nameToken = p.current
        p.advance()
        var options: [String: Int] = [:]
        if p.current.kind == .leftParen {
            p.advance()
            for arg in try p.parseArguments(closing: .rightParen, ")") {
                guard let label = arg.label else {
                    throw Diagnostic("options are labelled, as in load neumann(n: 4)", at: arg.value.location, in: p.source)
                }
                switch arg.value {
                case .number(let text, _) where Int(text) != nil: options[label] = Int(text)!
                case .name("true", _): options[label] = 1
                case .name("false", _): options[label] = 0
                default: throw Diagnostic("option '\(label)' takes an integer", at: arg.value.location, in: p.source)
                }
            }
        }
        let system: HamiltonianSystem
        do { system = try Catalog.system(name, options: options) } catch let e as CatalogError {
            throw p.error(e.message, at: nameToken)
        }
        if let previous = s.system {
            for d in previous.definitions { s.forget(d.name) }
        }
        s.pairs = system.pairs
        for d in system.definitions { s.define(d.name, d.expr) }
        s.system = system
        let pairs = system.pairs.map { "(\($0.q), \($0.p))" }.joined(separator: ", ")
        let params = system.parameters.map(\.name).joined(separator: ", ")
        let names = system.definitions.map(\.name).joined(separator: ", ")
        return .text("\(system.name): \(system.title); pairs \(pairs); parameters \(params.isEmpty ? "none" : params); defines \(names)")
    }

    func show(_ p: inout Parser, _ s: Session) throws -> Value {
        guard case .identifier(let name) = p.current.kind else {
            guard p.atEnd else { throw p.error("expected a name after 'show', found \(p.current.kind.spelling)") }
            var lines = ["pairs: " + (s.pairs.isEmpty ? "none (use canonical or load)" : s.pairs.map { "(\($0.q), \($0.p))" }.joined(separator: ", "))]
            if let sys = s.system { lines.append("system: \(sys.name)") }
            for n in s.names { lines.append("\(n) = \(Value.expr(s.definitions[n]!).display)") }
            return .text(lines.joined(separator: "\n"))
        }
        let token = p.current
        p.advance()
        if let e = s.definitions[name] { return .text("\(name) = \(Value.expr(e).display)") }
        if let v = s.objects[name] { return .text("\(name) = \(v.display)") }
        let system: HamiltonianSystem
        do { system = try Catalog.system(name) } catch let e as CatalogError {
            throw p.error("'\(name)' is neither defined in this session nor a catalog system: \(e.message)", at: token)
        }
        var lines = ["\(system.name): \(system.title)", "source: \(system.reference)",
                     "pairs: " + system.pairs.map { "(\($0.q), \($0.p))" }.joined(separator: ", ")]
        lines.append("parameters: " + (system.parameters.isEmpty ? "none" : system.parameters.map { "\($0.name) = \($0.defaultValue) (\($0.meaning))" }.joined(separator: ", ")))
        lines.append("H = \(Value.expr(system.hamiltonian).display)")
        for inv in system.invariants { lines.append("\(inv.name) = \(Value.expr(inv.expr).display)    # \(inv.meaning)") }
        return .text(lines.joined(separator: "\n"))
    }

    func help(_ p: inout Parser) throws -> Value {
        var topic: String?
        switch p.current.kind {
        case .identifier(let n): topic = n; p.advance()
        case .assign: topic = "="; p.advance()
        case .equal: topic = "=="; p.advance()
        default: break
        }
        guard let topic else {
            var lines = ["statements:"]
            // Usages shorter than the column are padded; longer ones are never cut.
            func line(_ usage: String, _ summary: String) -> String {
                "  " + (usage.count < 36 ? usage.padding(toLength: 36, withPad: " ", startingAt: 0) : usage) + " " + summary
            }
            for v in Verbs.statements { lines.append(line(v.usage, v.summary)) }
            // The verbs by family, as their folders group them.
            let signatures = Verbs.all.map { verb in verb.signature }
            for family in VerbFamily.allCases {
                lines.append("\(family.rawValue) verbs:")
                for v in signatures where v.family == family { lines.append(line(v.usage, v.summary)) }
            }
            lines.append("functions: " + Verbs.functions.joined(separator: ", ") + "; constants: I (I^2 = -1), pi")
            lines.append("systems: " + Catalog.entries.map(\.name).joined(separator: ", ") + " (also neumann3, calogero3, calogero3w)")
            lines.append("operators: + - * / ^ (or **), == and != decide equality; # starts a comment")
            return .text(lines.joined(separator: "\n"))
        }
        if let verb = Verbs.named(topic) { return .text(Verbs.help(verb.signature)) }
        if let v = Verbs.statements.first(where: { $0.name == topic }) {
            return .text("\(v.usage)\n  \(v.summary)\n  example: \(v.example)")
        }
        if Verbs.functions.contains(topic) {
            return .text("\(topic)(e)\n  the elementary function \(topic); exact rules apply in simplify and ==\n  example: simplify(\(topic == "sin" || topic == "cos" ? "sin(q1)^2 + cos(q1)^2" : "\(topic)(q1)"))")
        }
        if let entry = Catalog.entries.first(where: { $0.name == topic }) {
            return .text("\(entry.name): \(entry.summary)\n  example: load \(entry.name)" + (entry.options.isEmpty ? "" : "(" + entry.options.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + ")"))
        }
        var message = "no help for '\(topic)'"
        if let s = ExprBuilder.suggestion(for: topic, among: Verbs.statements.map(\.name) + Verbs.names + Verbs.functions) { message += "; did you mean '\(s)'?" }
        throw p.error(message, at: p.tokens[p.position - 1])
    }
}
