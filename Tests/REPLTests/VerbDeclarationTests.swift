import XCTest
@testable import REPL

/// The verbs' declarations are the one source of their help, usage and label errors, and each
/// declared option is really read and checked by its verb.
final class VerbDeclarationTests: XCTestCase {
    func run(_ source: String, in repl: Interpreter = Interpreter()) -> [String] {
        repl.execute(source).flatMap(\.lines)
    }

    /// A fresh session with kepler3d loaded, where every example is written to work.
    func kepler() -> Interpreter {
        let repl = Interpreter()
        _ = repl.execute("load kepler3d")
        return repl
    }

    /// Every verb's help example works as written after `load kepler3d`.
    func testHelpExamplesRun() {
        for verb in Verbs.all {
            let s = verb.signature
            let outcome = kepler().execute(s.example)
            XCTAssertFalse(outcome.contains(where: \.failed), "\(s.name): \(s.example) → \(outcome.flatMap(\.lines))")
        }
    }

    /// `help NAME` prints the usage, the summary, every declared option with its kind and
    /// default, and the example.
    func testHelpListsEveryDeclaredOption() {
        for verb in Verbs.all {
            let s = verb.signature
            let help = run("help \(s.name)").joined(separator: "\n")
            XCTAssertTrue(help.hasPrefix(s.usage + "\n  " + s.summary), s.name)
            XCTAssertTrue(help.hasSuffix("example: " + s.example), s.name)
            for option in s.options {
                XCTAssertTrue(help.contains("    \(option.label): \(option.kind.description)"), "\(s.name): \(option.label) missing from help:\n\(help)")
                if let d = option.defaultText { XCTAssertTrue(help.contains("(default \(d))"), "\(s.name): \(option.label)'s default") }
            }
        }
        // The general help lists every verb's usage.
        let all = run("help").joined(separator: "\n")
        for verb in Verbs.all { XCTAssertTrue(all.contains("  " + verb.signature.usage + " "), verb.signature.name) }
    }

    /// Label errors come from the declaration: an unknown label names the declared options and
    /// suggests the closest; a verb without options refuses labels; a label given twice is refused.
    func testLabelErrorsComeFromTheDeclaration() {
        for verb in Verbs.all {
            let s = verb.signature
            let out = run("\(s.name)(zzzqqq: 1)").joined(separator: "\n")
            if s.otherLabels != nil { continue }
            if s.options.isEmpty {
                XCTAssertTrue(out.contains("\(s.name) takes no labelled argument 'zzzqqq:'"), "\(s.name): \(out)")
                continue
            }
            XCTAssertTrue(out.contains("\(s.name) has no option 'zzzqqq:' (options: \(s.optionLabels.joined(separator: ", ")))"), "\(s.name): \(out)")
            for label in s.optionLabels where label.count >= 5 {
                let typo = String(label.dropLast())
                // Not a typo when it is a label itself (step beside steps).
                if s.optionLabels.contains(typo) || s.refusedLabels[typo] != nil { continue }
                let out = run("\(s.name)(\(typo): 1)").joined(separator: "\n")
                // The suggestion is a declared option one edit away (samples and sampler both are from sample).
                let suggested = out.components(separatedBy: "did you mean '").dropFirst().first?.prefix { $0 != "'" }
                XCTAssertTrue(suggested.map { s.optionLabels.contains(String($0)) && $0.count >= label.count - 1 } ?? false, "\(s.name): \(typo) → \(out)")
            }
        }
        XCTAssertEqual(run("simulate(t: 1, t: 2)").first, "error: 1:19: 't:' is given twice")
    }

    /// A bad value of each declared option, added to the verb's working example, is refused:
    /// so each option is read, and checked against its declared kind, by its verb.
    func testEveryDeclaredOptionIsReadAndChecked() {
        for verb in Verbs.all {
            let s = verb.signature
            guard let call = Self.outerCall(of: s.name, in: s.example) else { XCTFail("\(s.name): no call in \(s.example)"); continue }
            for option in s.options {
                let bad: String, expected: String?
                switch option.kind {
                case .whole(let range): bad = "\(range.upperBound == Int.max ? "1e300" : String(range.upperBound + 1))"; expected = "'\(option.label):' takes a whole number"
                case .positive: bad = "-1"; expected = "'\(option.label):' takes a number greater than 0"
                case .number: bad = "zzz"; expected = "'\(option.label):' expects a number, not the word 'zzz'"
                case .between(_, let high): bad = String(high + 1); expected = "'\(option.label):' is \(option.help), a number between"
                case .word: bad = "zzz"; expected = "'\(option.label):' takes one of"
                case .file: bad = "3"; expected = "\(option.label) is a file name in quotes"
                case .numbers: bad = "3"; expected = nil
                case .expressions, .custom: bad = "\"zzz\""; expected = nil
                }
                // The option replaces any of the example's own, so the bad value is the one read.
                var arguments = call.arguments.filter { !$0.hasPrefix(option.label + ":") }
                arguments.append("\(option.label): \(bad)")
                let source = call.before + arguments.joined(separator: ", ") + call.after
                let outcome = kepler().execute(source)
                let text = outcome.flatMap(\.lines).joined(separator: "\n")
                XCTAssertTrue(outcome.last?.failed ?? false, "\(s.name): \(option.label): \(bad) was accepted: \(source)")
                // The error is the option's own (its kind's message, or why the verb refuses it here).
                XCTAssertTrue(text.contains(expected ?? option.label) || text.contains("'\(option.label):'"), "\(s.name): \(source) → \(text)")
            }
        }
    }

    /// The text before the verb's outermost call's arguments, its top-level arguments, and the
    /// text after them (`fit(a, b, degree: 2).exact` → "fit(", ["a", "b", "degree: 2"], ").exact").
    static func outerCall(of name: String, in example: String) -> (before: String, arguments: [String], after: String)? {
        guard let start = example.range(of: name + "(") else { return nil }
        var depth = 0, arguments: [String] = [], current = ""
        var index = start.upperBound
        while index < example.endIndex {
            let c = example[index]
            if depth == 0 && (c == "," || c == ")") {
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { arguments.append(trimmed) }
                current = ""
                if c == ")" { return (String(example[..<start.upperBound]), arguments, String(example[index...])) }
            } else {
                if "([".contains(c) { depth += 1 }
                if ")]".contains(c) { depth -= 1 }
                current.append(c)
            }
            index = example.index(after: index)
        }
        return nil
    }
}
