import Foundation
import XCTest
@testable import REPL

final class NotebookTests: XCTestCase {
    static var notebooksDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("notebooks-txt")
    }

    /// The notebooks are documentation that cannot rot: each must reproduce its outputs.
    func testEveryNotebookReproducesItsOutputs() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.notebooksDirectory.path)
            .filter { $0.hasSuffix(".txt") }.sorted()
        XCTAssertTrue(files.contains("tour.txt"))
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            let text = try String(contentsOf: Self.notebooksDirectory.appendingPathComponent(file), encoding: .utf8)
            let notebook = Notebook(text: text)
            XCTAssertFalse(notebook.cells.isEmpty, file)
            let report = notebook.differences(notebook.run(), file: file)
            XCTAssertTrue(report.isEmpty, report.joined(separator: "\n"))
        }
    }

    func testFormatAndCheckerCatchADifference() {
        let text = "# prose\n> 1 + 1\n2\n\n> x^^2\nerror: wrong\n# more\n> 3\n"
        let notebook = Notebook(text: text)
        XCTAssertEqual(notebook.cells.map(\.input), ["1 + 1", "x^^2", "3"])
        XCTAssertEqual(notebook.cells.map(\.line), [2, 5, 8])
        XCTAssertEqual(notebook.cells[2].expected, [])
        let outputs = notebook.run()
        let report = notebook.differences(outputs, file: "t.txt")
        XCTAssertEqual(report.first, "t.txt:5: > x^^2")
        XCTAssertTrue(report.contains("  + 3"))
        XCTAssertEqual(report.filter { $0.hasPrefix("t.txt") }.count, 2)
        // The transcript keeps prose and replaces outputs with the actual ones.
        XCTAssertTrue(notebook.transcript(outputs).hasPrefix("# prose\n> 1 + 1\n2\n\n> x^^2\nerror: 1:3:"))
    }
}
