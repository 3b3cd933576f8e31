import Symbolic

/// A call of a verb checked against its signature: the labels are known options (or, where the
/// verb declares them, other meaningful labels), none is given twice, and the number of
/// positional arguments is in range. Values are read through typed accessors, which check
/// each against its declaration when it is read and point errors at the argument, so a verb
/// reads its arguments in the order its work needs them.
struct BoundCall {
    let signature: Signature
    let evaluation: Evaluation
    /// The positional arguments, in order.
    let positional: [Syntax]
    /// The labelled ones, in the order written.
    let labelled: [Syntax.Argument]
    /// Where the verb's name is.
    let location: SourceLocation

    /// Checks `arguments` against `signature`: labels first (an unknown label is named as such,
    /// whatever its value), then the number of positional arguments.
    init(_ signature: Signature, _ arguments: [Syntax.Argument], at location: SourceLocation, in evaluation: Evaluation) throws {
        self.signature = signature
        self.evaluation = evaluation
        self.location = location
        positional = arguments.filter { $0.label == nil }.map(\.value)
        labelled = arguments.filter { $0.label != nil }
        let name = signature.name
        var seen = Set<String>()
        for argument in labelled {
            let label = argument.label!
            if signature.options.isEmpty && signature.otherLabels == nil {
                throw evaluation.fail("\(name) takes no labelled argument '\(label):'", at: argument.value.location)
            }
            if let reason = signature.refusedLabels[label] { throw evaluation.fail(reason, at: argument.value.location) }
            guard seen.insert(label).inserted else {
                throw evaluation.fail("'\(label):' is given twice", at: argument.value.location)
            }
            guard signature.otherLabels != nil || signature.option(label) != nil else {
                var message = "\(name) has no option '\(label):' (options: \(signature.optionLabels.joined(separator: ", ")))"
                if let s = ExprBuilder.suggestion(for: label, among: signature.optionLabels) { message += "; did you mean '\(s)'?" }
                throw evaluation.fail(message, at: argument.value.location)
            }
        }
        let allowed = signature.arity
        guard allowed.contains(positional.count) else {
            let expected = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
            throw evaluation.fail("\(name) takes \(expected) argument\(allowed.upperBound == 1 ? "" : "s"), got \(positional.count) (usage: \(signature.usage))",
                                  at: location, width: name.count)
        }
    }

    var name: String { signature.name }
    var session: Session { evaluation.session }
    var count: Int { positional.count }

    /// An error at `location`.
    func fail(_ message: String, at location: SourceLocation, width: Int = 1) -> Diagnostic {
        evaluation.fail(message, at: location, width: width)
    }

    /// An error under the verb's name.
    func fail(_ message: String) -> Diagnostic {
        evaluation.fail(message, at: location, width: name.count)
    }

    // MARK: Positional arguments

    /// The value of positional argument `k`.
    func value(_ k: Int) throws -> Value { try evaluation.value(positional[k]) }

    /// Positional argument `k` as an expression.
    func expression(_ k: Int) throws -> Expr { try evaluation.expr(positional[k], name, location) }

    /// The symbol positional argument `k` names.
    func symbol(_ k: Int) throws -> String { try evaluation.symbol(positional[k], name) }

    /// Positional argument `k` as a value of kind `T` (a dataset, model, trajectory or fit),
    /// or an error that says what the argument must be and what it is.
    func object<T: ObjectValue>(_ k: Int, _ type: T.Type) throws -> T {
        let v = try value(k)
        guard case .object(let o) = v, let t = o as? T else {
            throw fail("\(name) needs \(whatPositional(k)) here, but this is \(v.kindName)", at: positional[k].location)
        }
        return t
    }

    /// Positional argument `k`, which must be a string in quotes (a file name).
    func quoted(_ k: Int) throws -> String {
        guard case .string(let text, _) = positional[k] else {
            throw fail("\(name) needs \(whatPositional(k))", at: positional[k].location)
        }
        return text
    }

    func whatPositional(_ k: Int) -> String {
        let declared = signature.positional
        return declared.isEmpty ? "an argument" : declared[min(k, declared.count - 1)].what
    }

    // MARK: Options

    /// The syntax of option `label`, when given.
    func option(_ label: String) -> Syntax? {
        precondition(signature.option(label) != nil, "\(name) reads an undeclared option '\(label)'")
        return labelled.first { $0.label == label }?.value
    }

    func has(_ label: String) -> Bool { option(label) != nil }

    /// Where option `label`'s value is, or else the verb's name.
    func location(of label: String) -> SourceLocation { option(label)?.location ?? location }

    /// The labels given that are not options (`simulate`'s parameters, `subs`'s symbols).
    var otherLabels: [Syntax.Argument] {
        labelled.filter { signature.option($0.label!) == nil }
    }

    private func declared(_ label: String) -> OptionDeclaration {
        guard let d = signature.option(label) else { preconditionFailure("\(name) reads an undeclared option '\(label)'") }
        return d
    }

    /// A `.number`, `.positive` or `.between` option's value, its declared default when absent, or nil.
    func number(_ label: String) throws -> Double? {
        let d = declared(label)
        guard let s = option(label) else { return d.defaultNumber }
        switch d.kind {
        case .positive: return try evaluation.positiveOption(s, label)
        case .between(let low, let high):
            let v = try evaluation.numberOption(s, label)
            guard v > low && v < high else {
                throw fail("'\(label):' is \(d.help), a number between \(OptionText.number(low)) and \(OptionText.number(high)) (exclusive), not \(OptionText.number(v))", at: s.location)
            }
            return v
        default: return try evaluation.numberOption(s, label)
        }
    }

    /// A `.whole` option's value, its declared default when absent, or nil.
    func whole(_ label: String) throws -> Int? {
        let d = declared(label)
        guard case .whole(let range) = d.kind else { preconditionFailure("'\(label)' of \(name) is not declared whole") }
        guard let s = option(label) else { return d.defaultNumber.map { Int($0) } }
        return try evaluation.wholeOption(s, label, in: range)
    }

    /// A `.word` option's value, its declared default when absent, or nil.
    func word(_ label: String) throws -> String? {
        let d = declared(label)
        guard case .word(let words) = d.kind else { preconditionFailure("'\(label)' of \(name) is not declared a word") }
        // A default that is one of the words is the value; one that describes a rule (gl4 with
        // step:, rk8pd without) is the verb's to apply.
        guard let s = option(label) else { return d.defaultText.flatMap { words.contains($0) ? $0 : nil } }
        return try evaluation.wordOption(s, label, allowed: words)
    }

    /// Reads every option given, in the order written, each as its declaration says: a verb
    /// calls this where it wants the first bad value (of several) to be the one reported.
    /// Options the verb reads its own way (`.custom`, `.expressions`) are left to it.
    func checkGivenOptions() throws {
        for argument in labelled {
            guard let d = signature.option(argument.label!) else { continue }
            switch d.kind {
            case .number, .positive, .between: _ = try number(d.label)
            case .whole: _ = try whole(d.label)
            case .word: _ = try word(d.label)
            case .file: _ = try file(d.label)
            case .numbers: _ = try numbers(d.label)
            case .expressions, .custom: break
            }
        }
    }

    /// A `.file` option's value, or nil when absent.
    func file(_ label: String) throws -> String? {
        guard let s = option(label) else { return nil }
        guard case .string(let path, _) = s else { throw fail("\(label) is a file name in quotes", at: s.location) }
        return path
    }

    /// A `.numbers` option's values, or nil when absent.
    func numbers(_ label: String) throws -> [Double]? {
        guard let s = option(label) else { return nil }
        return try evaluation.numbers(s, label)
    }
}
