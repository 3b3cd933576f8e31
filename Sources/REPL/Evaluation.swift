import Symbolic
import Dynamics

/// Evaluates expression syntax to a `Value` in a session: names resolve to definitions,
/// calls to verbs or elementary functions. Errors point at the offending place.
struct Evaluation {
    let session: Session
    let source: String

    func fail(_ message: String, at location: SourceLocation, width: Int = 1) -> Diagnostic {
        Diagnostic(message, at: location, in: source, width: width)
    }

    func value(_ s: Syntax) throws -> Value {
        switch s {
        case .number(let text, let at):
            return .expr(try ExprBuilder.number(text, at: at, in: source))
        case .string(let text, _):
            return .text(text)
        case .name(let n, let at):
            if n == "true" { return .bool(true) }
            if n == "false" { return .bool(false) }
            if let e = session.definitions[n] { return .expr(e) }
            if let v = Verbs.verbs.first(where: { $0.name == n }) {
                throw fail("'\(n)' is a verb; call it as \(v.usage)", at: at, width: n.count)
            }
            if Verbs.functions.contains(n) { throw fail("'\(n)' is a function; call it as \(n)(x)", at: at, width: n.count) }
            return .expr(ExprBuilder.atom(n))
        case .negate(let e, let at):
            return .expr(-(try expr(e, "'-'", at)))
        case .binary(let op, let l, let r, let at):
            if op == .equal || op == .notEqual {
                let (a, b) = (try expr(l, "'\(op.rawValue)'", at), try expr(r, "'\(op.rawValue)'", at))
                let decision = Simplifier.areEqual(a, b)
                return op == .equal ? .decision(decision) : .bool(!decision.isZero)
            }
            if let (head, steps) = s.chain {
                var acc = try expr(head, "'\(op.rawValue)'", at)
                for (o, operand, location) in steps {
                    acc = try ExprBuilder.arithmetic(o, acc, try expr(operand, "'\(o.rawValue)'", location), at: location, in: source)
                }
                return .expr(acc)
            }
            let (a, b) = (try expr(l, "'\(op.rawValue)'", at), try expr(r, "'\(op.rawValue)'", at))
            return .expr(try ExprBuilder.arithmetic(op, a, b, at: at, in: source))
        case .call(let name, let args, let at):
            return try call(name, args, at)
        case .list(let items, _):
            return .list(try items.map(value))
        case .member(_, let name, let at):
            throw fail("no member '.\(name)' here (members belong to models, which come later)", at: at, width: name.count)
        }
    }

    /// Evaluates to an expression, or says what `context` expected instead.
    func expr(_ s: Syntax, _ context: String, _ at: SourceLocation) throws -> Expr {
        let v = try value(s)
        guard case .expr(let e) = v else {
            throw fail("\(context) needs an expression, but this is \(v.kindName)", at: s.location)
        }
        return e
    }

    // MARK: Calls

    func call(_ name: String, _ args: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        if Verbs.functions.contains(name) {
            if let label = args.first(where: { $0.label != nil })?.label {
                throw fail("\(name) takes no labelled argument '\(label):'", at: at, width: name.count)
            }
            let values = try args.map { try expr($0.value, name, at) }
            return .expr(try ExprBuilder.function(name, values, at: at, in: source))
        }
        guard Verbs.verbNames.contains(name) else {
            var message = "unknown function '\(name)'"
            if let s = ExprBuilder.suggestion(for: name, among: Verbs.verbNames + Verbs.functions) { message += "; did you mean '\(s)'?" }
            throw fail(message, at: at, width: name.count)
        }
        let positional = args.filter { $0.label == nil }.map(\.value)
        let labelled = args.filter { $0.label != nil }
        func arity(_ allowed: ClosedRange<Int>, labels: Bool = false) throws {
            if !labels, let l = labelled.first {
                throw fail("\(name) takes no labelled argument '\(l.label!):'", at: l.value.location)
            }
            guard allowed.contains(positional.count) else {
                let expected = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
                let usage = Verbs.verbs.first { $0.name == name }!.usage
                throw fail("\(name) takes \(expected) argument\(allowed.upperBound == 1 ? "" : "s"), got \(positional.count) (usage: \(usage))", at: at, width: name.count)
            }
        }
        func arg(_ k: Int) throws -> Expr { try expr(positional[k], name, at) }

        switch name {
        case "bracket":
            try arity(2...2)
            try needPairs(at, name)
            return .expr(Simplifier.simplify(session.bracket(try arg(0), try arg(1))))
        case "conserved":
            try arity(1...1)
            try needPairs(at, name)
            guard let h = session.definitions["H"] else {
                throw fail("conserved needs a Hamiltonian: define H (H = ...) or load a system", at: at, width: name.count)
            }
            return .decision(Simplifier.isZero(session.bracket(try arg(0), h)))
        case "diff":
            try arity(2...3)
            let e = try arg(0)
            let x = try symbol(positional[1], name)
            var times = 1
            if positional.count == 3 {
                guard let n = try arg(2).rationalValue?.intValue, n >= 0 else {
                    throw fail("the order of the derivative must be a non-negative integer", at: positional[2].location)
                }
                times = n
            }
            return .expr(e.diff(x, times: times))
        case "simplify":
            try arity(1...1)
            return .expr(Simplifier.simplify(try arg(0)))
        case "expand":
            try arity(1...1)
            return .expr(try arg(0).expand())
        case "latex":
            try arity(1...1)
            return .text(LaTeXPrinter().print(try arg(0)))
        case "subs":
            var map: [Expr: Expr] = [:]
            if labelled.isEmpty {
                try arity(3...3)
                map[.symbol(try symbol(positional[1], name))] = try arg(2)
            } else {
                try arity(1...1, labels: true)
                for l in labelled { map[.symbol(l.label!)] = try expr(l.value, name, at) }
            }
            let result = try arg(0).substitute(map)
            if result.isUndefined { throw fail("the substitution divides by zero", at: at, width: name.count) }
            return .expr(result)
        case "eval":
            try arity(1...1, labels: true)
            var bindings: [String: Double] = [:]
            for p in session.system?.parameters ?? [] { bindings[p.name] = p.defaultValue.doubleValue }
            for l in labelled {
                let v = try expr(l.value, name, at)
                guard let x = try? v.evaluate([:]) else {
                    throw fail("the value of '\(l.label!)' must be a number", at: l.value.location)
                }
                bindings[l.label!] = x
            }
            do {
                return .expr(.float(try arg(0).evaluate(bindings)))
            } catch let e as EvaluationError {
                throw fail(e.message, at: at, width: name.count)
            }
        case "vectorfield":
            try arity(0...1)
            try needPairs(at, name)
            let h: Expr
            if positional.isEmpty {
                guard let defined = session.definitions["H"] else {
                    throw fail("vectorfield() needs a Hamiltonian: define H or pass one, vectorfield(H)", at: at, width: name.count)
                }
                h = defined
            } else { h = try arg(0) }
            return .list(session.bracket.vectorField(h).map { .expr(Simplifier.simplify($0)) })
        default:
            throw fail("verb '\(name)' is not implemented", at: at, width: name.count)
        }
    }

    func needPairs(_ at: SourceLocation, _ name: String) throws {
        if session.pairs.isEmpty {
            throw fail("\(name) needs canonical pairs: declare them with canonical (q, p), ... or load a system", at: at, width: name.count)
        }
    }

    /// The symbol an argument names (a name not defined as an expression, or one defined as a symbol).
    func symbol(_ s: Syntax, _ verb: String) throws -> String {
        if case .name(let n, let at) = s {
            if let e = session.definitions[n] {
                if let sym = e.symbolName { return sym }
                throw fail("'\(n)' is defined as an expression; \(verb) needs a symbol here", at: at, width: n.count)
            }
            return n
        }
        throw fail("\(verb) needs a symbol here", at: s.location)
    }
}
