import Symbolic

// The values of labelled options, read and checked in one place for every verb: a number, a
// whole number in a range (counts: steps, every, samples, trajectories, hidden, layers, batch,
// seed, ...), a positive number (step sizes, durations), or one word of a list. Each error
// names the option, the value given and what is allowed, at the value's place.
extension Evaluation {
    /// A finite number (`k: 1.5`, `t: 2*pi`).
    func numberOption(_ value: Syntax, _ label: String) throws -> Double {
        if case .name(let word, let at) = value, session.definitions[word] == nil {
            throw fail("'\(label):' expects a number, not the word '\(Diagnostic.escaped(word))'", at: at, width: word.count)
        }
        let v: Value
        v = try self.value(value)
        guard case .expr(let e) = v else {
            throw fail("'\(label):' expects a number, not \(v.kindName)", at: value.location)
        }
        guard let x = try? e.evaluate([:]) else {
            throw fail("'\(label):' expects a number, but \(Diagnostic.escaped(TextPrinter().print(e))) has no numeric value", at: value.location)
        }
        guard x.isFinite else { throw fail("'\(label):' expects a finite number, not \(OptionText.number(x))", at: value.location) }
        return x
    }

    /// A whole number in `range` (a count). 1.5, 1e300 and numbers outside the range are refused.
    func wholeOption(_ value: Syntax, _ label: String, in range: ClosedRange<Int>) throws -> Int {
        let x = try numberOption(value, label)
        guard x == x.rounded(), x >= Double(range.lowerBound), x <= Double(range.upperBound) else {
            throw fail("'\(label):' takes a whole number \(OptionText.range(range)), not \(OptionText.number(x))", at: value.location)
        }
        return Int(x)
    }

    /// A number greater than zero (a step size, a duration, a tolerance).
    func positiveOption(_ value: Syntax, _ label: String) throws -> Double {
        let x = try numberOption(value, label)
        guard x > 0 else { throw fail("'\(label):' takes a number greater than 0, not \(OptionText.number(x))", at: value.location) }
        return x
    }

    /// One word of `allowed` (`method: rk4`), with did-you-mean.
    func wordOption(_ value: Syntax, _ label: String, allowed: [String]) throws -> String {
        let list = allowed.joined(separator: ", ")
        switch value {
        case .name(let word, let at), .string(let word, let at):
            guard allowed.contains(word) else {
                var message = "'\(label):' takes one of \(list); not '\(Diagnostic.escaped(word))'"
                if let s = ExprBuilder.suggestion(for: word, among: allowed) { message += "; did you mean '\(s)'?" }
                throw fail(message, at: at, width: max(1, word.count))
            }
            return word
        default:
            throw fail("'\(label):' takes a word, one of \(list)", at: value.location)
        }
    }
}

enum OptionText {
    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : TextPrinter.format(x, significantDigits: 6)
    }

    static func range(_ r: ClosedRange<Int>) -> String {
        if r.upperBound == Int.max { return "of at least \(r.lowerBound)" }
        return "from \(r.lowerBound) to \(r.upperBound)"
    }
}
