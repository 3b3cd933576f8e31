import Dynamics
import Foundation

/// A plain-text notebook: `> ` lines are inputs; the lines after an input, up to the next
/// input, blank line or `#` line, are its expected output; everything else is prose. Windows
/// line endings ("\r\n") read as "\n"; the transcript is written with "\n".
public struct Notebook {
    public struct Cell {
        /// 1-based line number of the input in the file.
        public var line: Int
        public var input: String
        public var expected: [String]
        /// Whether the input line was a bare `>` (an empty input) rather than `> ...`.
        var bare = false
    }

    enum Line { case prose(String), cell(Int) }

    let lines: [Line]
    public let cells: [Cell]

    public init(text: String) {
        var lines: [Line] = []
        var cells: [Cell] = []
        let raw = TextLines.split(text).map(String.init)
        var i = 0
        while i < raw.count {
            let line = raw[i]
            if line.hasPrefix("> ") || line == ">" {
                var expected: [String] = []
                var j = i + 1
                while j < raw.count, !raw[j].hasPrefix("> "), raw[j] != ">", !raw[j].trimmingCharacters(in: .whitespaces).isEmpty,
                      !raw[j].hasPrefix("#") {
                    expected.append(raw[j]); j += 1
                }
                lines.append(.cell(cells.count))
                cells.append(Cell(line: i + 1, input: String(line.dropFirst(line == ">" ? 1 : 2)), expected: expected, bare: line == ">"))
                i = j
            } else {
                lines.append(.prose(line)); i += 1
            }
        }
        if case .prose("") = lines.last, text.unicodeScalars.last == "\n" { lines.removeLast() }
        self.lines = lines
        self.cells = cells
    }

    /// The text of the notebook file at `path`: a regular file (a FIFO or device is refused
    /// before it is opened for reading), in UTF-8.
    public static func text(ofFile path: String) throws -> String {
        let data = try RegularFile.read(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileError("'\(path)' is not UTF-8 text, so it is not a notebook")
        }
        return text
    }

    /// Runs every input in a fresh session; returns the actual output lines of each cell.
    /// `timeout` limits each statement (seconds), as `Interpreter.timeout`.
    public func run(timeout: Double? = nil) -> [[String]] {
        execute(timeout: timeout).map { $0.flatMap(\.lines) }
    }

    /// Runs every input in a fresh session; returns each cell's outcomes (lines and whether
    /// each statement failed).
    public func execute(timeout: Double? = nil) -> [[Interpreter.Outcome]] {
        execute(in: Interpreter(timeout: timeout))
    }

    /// Runs every input in `interpreter`'s session, which the caller keeps (a scan reads the
    /// metrics the notebook recorded).
    public func execute(in interpreter: Interpreter) -> [[Interpreter.Outcome]] {
        cells.map { cell in interpreter.execute(cell.input) }
    }

    /// The executed transcript: prose as written, inputs, and their actual outputs.
    /// The statements that failed where the notebook does not show an error: a cell whose
    /// recorded output holds an `error:` line documents that failure (the tour shows how a typo
    /// is reported), so only the others count against a run.
    public func unexpectedFailures(_ outcomes: [[Interpreter.Outcome]]) -> Int {
        zip(cells, outcomes).reduce(0) { count, pair in
            let (cell, results) = pair
            let documented = cell.expected.contains { $0.hasPrefix("error:") }
            return count + (documented ? 0 : results.filter(\.failed).count)
        }
    }

    public func transcript(_ outputs: [[String]]) -> String {
        var out: [String] = []
        for l in lines {
            switch l {
            case .prose(let s): out.append(s)
            case .cell(let k): out.append("> " + cells[k].input); out.append(contentsOf: outputs[k])
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Differences between expected and actual outputs, as readable lines (empty when none).
    public func differences(_ outputs: [[String]], file: String) -> [String] {
        var report: [String] = []
        for (cell, actual) in zip(cells, outputs) {
            let a = actual.map(Notebook.trimmed), e = cell.expected.map(Notebook.trimmed)
            guard a != e else { continue }
            report.append("\(file):\(cell.line): > \(cell.input)")
            for line in e { report.append("  - \(line)") }
            for line in a { report.append("  + \(line)") }
        }
        return report
    }

    static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while let last = t.last, last == " " || last == "\t" || last == "\r" { t.removeLast() }
        return String(t)
    }
}
