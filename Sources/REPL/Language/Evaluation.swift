import Foundation
import Symbolic
import Dynamics

/// Evaluates expression syntax to a `Value` in a session: names resolve to definitions,
/// calls to verbs (through their declared signatures) or elementary functions, members to the
/// object that has them. Errors point at the offending place.
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
            if let v = session.objects[n] { return v }
            if let verb = Verbs.named(n) {
                throw fail("'\(n)' is a verb; call it as \(verb.signature.usage)", at: at, width: n.count)
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
            let (a, b) = (try expr(l, "'\(op.rawValue)'", at), try expr(r, "'\(op.rawValue)'", at))
            return .expr(try ExprBuilder.arithmetic(op, a, b, at: at, in: source))
        case .chain(let head, let steps):
            let operands = try steps.map { ($0.0, try expr($0.1, "'\($0.0.rawValue)'", $0.2), $0.2) }
            return .expr(try ExprBuilder.chain(try expr(head, "'\(steps[0].0.rawValue)'", steps[0].2), operands, in: source))
        case .call(let name, let args, let at):
            return try call(name, args, at)
        case .list(let items, _):
            return .list(try items.map(value))
        case .record(_, let at):
            throw fail("a labelled list ([name: values, ...]) is read only where a verb takes one, as scan's grid:", at: at)
        case .member(let base, let name, let arguments, let at):
            let v = try value(base)
            guard case .object(let o) = v else {
                throw fail("\(v.kindName.prefix(1).uppercased() + v.kindName.dropFirst()) has no member '.\(name)'", at: at, width: name.count)
            }
            return try o.member(name, arguments, at: at, in: self)
        }
    }

    /// Evaluates to an expression, or says what `context` expected instead.
    func expr(_ s: Syntax, _ context: String, _ at: SourceLocation) throws -> Expr {
        let v = try value(s)
        guard case .expr(let e) = v else {
            throw fail("\(context) needs an expression, but this is \(v.kindName)", at: s.location)
        }
        // Every operand passes here, so a too-deep or non-finite intermediate (nested subs,
        // a comparison of two infinities) is refused before the next verb walks it.
        try Interpreter.checkBounds(e, s, source)
        return e
    }

    /// A call: an elementary function, or a verb bound to its signature and run.
    func call(_ name: String, _ args: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        if Verbs.functions.contains(name) {
            if let label = args.first(where: { $0.label != nil })?.label {
                throw fail("\(name) takes no labelled argument '\(label):'", at: at, width: name.count)
            }
            let values = try args.map { try expr($0.value, name, at) }
            return .expr(try ExprBuilder.function(name, values, at: at, in: source))
        }
        // A model called on a state: a flow's map z = T(x).
        if case .object(let m as ModelValue)? = session.objects[name] { return try m.call(args, at: at, in: self) }
        guard let verb = Verbs.named(name) else {
            var message = "unknown function '\(name)'"
            if let s = ExprBuilder.suggestion(for: name, among: Verbs.names + Verbs.functions) { message += "; did you mean '\(s)'?" }
            throw fail(message, at: at, width: name.count)
        }
        return try verb.run(try BoundCall(verb.signature, args, at: at, in: self))
    }

    /// A list of numbers (`x0: [1, 0]`, a state), each element evaluated to a float.
    func numbers(_ s: Syntax, _ label: String) throws -> [Double] {
        try numbers(try value(s), at: s.location, label)
    }

    /// One number (`actions: 0.5`) as a list of one, or a list of numbers.
    func numberOrNumbers(_ s: Syntax, _ label: String) throws -> [Double] {
        let v = try value(s)
        if case .expr(let e) = v, let x = try? e.evaluate([:]) { return [x] }
        return try numbers(v, at: s.location, label)
    }

    /// The numbers of a value already evaluated (`at` is where it was written).
    func numbers(_ v: Value, at location: SourceLocation, _ label: String) throws -> [Double] {
        guard case .list(let items) = v else { throw fail("\(label) must be a list of numbers such as [1, 0], not \(v.kindName)", at: location) }
        return try items.map { item in
            guard case .expr(let e) = item, let x = try? e.evaluate([:]) else { throw fail("\(label) must hold numbers", at: location) }
            return x
        }
    }

    /// A list of expressions (`vars: [x, y]`, known invariants).
    func expressions(_ s: Syntax, _ what: String) throws -> [Expr] {
        let v = try value(s)
        guard case .list(let items) = v else { throw fail("\(what) is a list such as [x, y], not \(v.kindName)", at: s.location) }
        return try items.map { item in
            guard case .expr(let e) = item else { throw fail("\(what) holds expressions", at: s.location) }
            return e
        }
    }

    func needPairs(_ at: SourceLocation, _ name: String) throws {
        if session.pairs.isEmpty {
            throw fail("\(name) needs canonical pairs: declare them with canonical (q, p), ... or load a system", at: at, width: name.count)
        }
    }

    /// The session's H, or an error that says how to define one.
    func hamiltonian(_ at: SourceLocation, _ name: String, _ hint: String = "define H or load a system") throws -> Expr {
        guard let h = session.definitions["H"] else { throw fail("\(name) needs a Hamiltonian: \(hint)", at: at, width: name.count) }
        return h
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
