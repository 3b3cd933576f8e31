import Dynamics
import Symbolic

/// Tab completion and shift-tab help for front ends (the Jupyter kernel): what may follow the
/// word at the cursor, from the verbs' declarations, the session and the catalog.
extension Interpreter {
    public struct Completion: Equatable {
        /// The replaced range, in Unicode scalars of the code.
        public var start: Int
        public var end: Int
        public var matches: [String]
    }

    /// Candidates for the word that ends at `cursor` (a Unicode-scalar offset into `code`):
    /// catalog systems after `load`; a verb's option labels (`steps: `) inside its call, then
    /// session names; elsewhere session names, verbs, statements, functions and constants.
    public func completions(_ code: String, cursor: Int) -> Completion {
        let scalars = Array(code.unicodeScalars)
        let end = max(0, min(cursor, scalars.count))
        var start = end
        while start > 0, Interpreter.isWordScalar(scalars[start - 1]) { start -= 1 }
        let prefix = String(String.UnicodeScalarView(scalars[start..<end]))
        var lineStart = start
        while lineStart > 0, scalars[lineStart - 1] != "\n", scalars[lineStart - 1] != ";" { lineStart -= 1 }
        let before = String(String.UnicodeScalarView(scalars[lineStart..<start])).trimmingLeadingSpaces
        var candidates: [String] = []
        let sessionNames = session.names + session.objects.keys.sorted()
        if scalars[lineStart..<start].filter({ $0 == "\"" }).count % 2 == 1 {
            candidates = []  // inside a string: a file name, not a word of the language
        } else if start > 0, scalars[start - 1] == "." {
            candidates = []  // members depend on the object's value; not guessed
        } else if case let words = before.split(separator: " "), before.hasSuffix(" "), words.count == 1, ["load", "help", "show"].contains(words[0]) {
            switch words[0] {
            case "load": candidates = Catalog.names
            case "help": candidates = Verbs.statements.map(\.name).filter { $0.first!.isLetter } + Verbs.names
            default: candidates = sessionNames + Catalog.names
            }
        } else {
            if let verb = Interpreter.enclosingCall(scalars, before: start).flatMap(Verbs.named) {
                candidates += verb.signature.optionLabels.map { $0 + ": " }
            }
            candidates += sessionNames + session.pairs.flatMap { [$0.q, $0.p] }
            candidates += Verbs.names + Verbs.statements.map(\.name).filter { $0.first!.isLetter } + Verbs.functions + ["I", "pi"]
        }
        var seen = Set<String>()
        let matches = candidates.filter { $0.hasPrefix(prefix) && seen.insert($0).inserted }
        return Completion(start: start, end: end, matches: matches)
    }

    /// Help for the word at `cursor`: a verb's or statement's help, a definition, a stored
    /// object, or a catalog system; nil when the word is none of these.
    public func inspection(_ code: String, cursor: Int) -> String? {
        let scalars = Array(code.unicodeScalars)
        var start = max(0, min(cursor, scalars.count)), end = start
        while start > 0, Interpreter.isWordScalar(scalars[start - 1]) { start -= 1 }
        while end < scalars.count, Interpreter.isWordScalar(scalars[end]) { end += 1 }
        // Just after a call's parenthesis, the verb being called.
        if start == end, let verb = Interpreter.enclosingCall(scalars, before: start) { return inspection(verb, cursor: verb.unicodeScalars.count) }
        let word = String(String.UnicodeScalarView(scalars[start..<end]))
        guard let first = word.unicodeScalars.first, !Interpreter.isDigit(first) else { return nil }
        let isHelpTopic = Verbs.named(word) != nil || Verbs.statements.contains { $0.name == word } || Verbs.functions.contains(word)
        let statement = isHelpTopic ? "help " + word
            : session.definitions[word] != nil || session.objects[word] != nil || Catalog.names.contains(word) ? "show " + word : nil
        guard let statement, var parser = try? Parser(statement) else { return nil }
        parser.advance()
        let value = isHelpTopic ? try? help(&parser) : try? show(&parser, session)
        return value?.display
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }

    static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic || isDigit(c)
    }

    /// The name before the innermost parenthesis still open at `position` (outside strings).
    static func enclosingCall(_ scalars: [Unicode.Scalar], before position: Int) -> String? {
        var open: [String?] = [], inString = false
        for i in 0..<position {
            let c = scalars[i]
            if c == "\"" { inString.toggle(); continue }
            if inString { continue }
            switch c {
            case "(", "[":
                var j = i
                while j > 0, scalars[j - 1] == " " { j -= 1 }
                var k = j
                while k > 0, isWordScalar(scalars[k - 1]) { k -= 1 }
                open.append(c == "(" && k < j ? String(String.UnicodeScalarView(scalars[k..<j])) : nil)
            case ")", "]": _ = open.popLast()
            case "\n": open = []  // a new statement
            default: break
            }
        }
        return open.last ?? nil
    }
}


extension String {
    var trimmingLeadingSpaces: String { String(drop { $0 == " " || $0 == "\t" }) }
}
