import XCTest
@testable import Symbolic

final class InterruptTests: XCTestCase {
    override func tearDown() { Interrupt.endStatement() }

    func testARequestIsSeenByCheckAndClearedByTheNextStatement() throws {
        Interrupt.beginStatement()
        XCTAssertNoThrow(try Interrupt.check())
        Interrupt.request(.userInterrupt)
        XCTAssertThrowsError(try Interrupt.check()) { error in
            XCTAssertEqual((error as? Interrupted)?.description, "interrupted (Ctrl-C); the session is as it was before this statement")
        }
        Interrupt.beginStatement()
        XCTAssertNoThrow(try Interrupt.check())
    }

    func testTheTimerFiresForItsOwnStatementOnly() throws {
        Interrupt.beginStatement(timeout: 0.2)
        XCTAssertNoThrow(try Interrupt.check())
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertThrowsError(try Interrupt.check()) { error in
            XCTAssertEqual((error as? Interrupted)?.description, "stopped after 0.2 s (--timeout); the session is as it was before this statement")
        }
        // A statement that ended before its limit leaves no timer behind.
        Interrupt.beginStatement(timeout: 0.2)
        Interrupt.endStatement()
        Interrupt.beginStatement()
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertNoThrow(try Interrupt.check())
    }

    /// SIGINT, delivered for real, sets the flag instead of ending the process.
    func testSigintRequestsAnInterrupt() throws {
        Interrupt.installSignalHandler()
        defer { signal(SIGINT, SIG_DFL) }
        Interrupt.beginStatement()
        raise(SIGINT)
        XCTAssertEqual(Interrupt.pending()?.reason, .userInterrupt)
    }

    /// The polynomial product checks the flag, so the exact zero test can be stopped.
    func testPolynomialProductsStop() throws {
        let p = try Polynomial.one.times(.one)
        Interrupt.beginStatement()
        Interrupt.request(.timeout)
        XCTAssertThrowsError(try p.times(p)) { XCTAssertTrue($0 is Interrupted) }
    }
}

final class DiagnosticTests: XCTestCase {
    func testControlCharactersAreEscapedAndTheCaretStaysAligned() {
        let d = Diagnostic("bad \u{7}", at: SourceLocation(line: 1, column: 5), in: "a\tb\u{1B}c\u{202E}d", width: 1)
        XCTAssertEqual(d.description, "error: 1:5: bad \\u{7}\n  a b\\u{1B}c\\u{202E}d\n           ^")
        XCTAssertEqual(Diagnostic("x", at: SourceLocation(line: 1, column: 4), in: "a\u{1B}bc", width: 1).description,
                       "error: 1:4: x\n  a\\u{1B}bc\n          ^")
    }

    func testLongMessagesAreClipped() {
        let name = String(repeating: "y", count: 200_000)
        let text = Diagnostic("unknown function '\(name)'", at: SourceLocation(line: 1, column: 1), in: name + "(x)", width: name.count).description
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0].count, "error: 1:1: ".count + Diagnostic.longestMessage + 1)
        XCTAssertTrue(lines[0].hasSuffix("yyy…"))
        XCTAssertLessThanOrEqual(lines[1].count, Diagnostic.window + 4)
        XCTAssertLessThanOrEqual(lines[2].count, Diagnostic.window + 4)
    }

    func testLongLinesAreClippedAroundTheCaret() {
        let line = String(repeating: "a", count: 500) + "X" + String(repeating: "b", count: 500)
        let text = Diagnostic("here", at: SourceLocation(line: 1, column: 501), in: line, width: 1).description.split(separator: "\n")
        XCTAssertEqual(text.count, 3)
        XCTAssertTrue(text[1].hasPrefix("  …a") && text[1].hasSuffix("b…"), String(text[1]))
        XCTAssertLessThanOrEqual(text[1].count, Diagnostic.window + 4)
        let column = text[2].count - 1
        XCTAssertEqual(Array(text[1])[column], "X")
        // Near the start: no leading marker; near the end: no trailing one.
        let start = Diagnostic("s", at: SourceLocation(line: 1, column: 2), in: line).description.split(separator: "\n")
        XCTAssertTrue(start[1].hasPrefix("  aa") && start[1].hasSuffix("…"))
        XCTAssertEqual(start[2], "   ^")
        let end = Diagnostic("e", at: SourceLocation(line: 1, column: 1001), in: line).description.split(separator: "\n")
        XCTAssertTrue(end[1].hasPrefix("  …") && end[1].hasSuffix("bb"))
        XCTAssertEqual(Array(end[1])[end[2].count - 1], "b")
        // A caret past the end of a long line (end of input) stays after the text.
        let past = Diagnostic("p", at: SourceLocation(line: 1, column: 1002), in: line).description.split(separator: "\n")
        XCTAssertEqual(past[2].count, past[1].count + 1)
        // Escapes are never cut in half.
        let escapes = String(repeating: "\u{1B}", count: 300)
        let cut = Diagnostic("c", at: SourceLocation(line: 1, column: 150), in: escapes).description.split(separator: "\n")
        XCTAssertTrue(cut[1].dropFirst(3).dropLast().hasPrefix("\\u{1B}"), String(cut[1]))
        XCTAssertTrue(cut[1].dropLast().hasSuffix("\\u{1B}"), String(cut[1]))
    }
}
