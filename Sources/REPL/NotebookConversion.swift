import Dynamics
import Foundation

/// Text notebooks to Jupyter notebooks (nbformat 4) and back (`noether convert`).
///
/// To `.ipynb`: each run of prose becomes a Markdown cell (the `# ` taken off, Markdown's
/// special characters escaped, the exact lines kept in the cell's metadata), each `> ` input a
/// code cell (its exact line in the metadata) whose output is its recorded lines. Back to text:
/// a cell whose source is still what its metadata says gives that text back exactly, so a text
/// notebook with "\n" line endings and a final newline (as `noether run` writes them; a BOM
/// and "\r\n" are read but not kept) survives the round trip byte for byte. An edited or new
/// Markdown cell becomes `# ` lines; an edited or new code cell one input (several lines joined
/// with `; `, comments moved above it as prose), and its outputs (standard output, the plain
/// text of results, errors) its recorded output. Figures and live progress are left out, as a
/// text notebook records the line that names the file instead. An output line the text format
/// cannot hold (blank, or starting with `#` or `> `) is kept but reported in `warnings`.
extension Notebook {
    public struct ConversionError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The notebook as an nbformat-4 `.ipynb` document, with the recorded outputs.
    public func ipynb() -> Data {
        var output: [[String: Any]] = []
        var prose: [String] = []
        func flushProse() {
            defer { prose = [] }
            guard !prose.isEmpty else { return }
            output.append(["cell_type": "markdown", "id": "cell-\(output.count + 1)",
                          "metadata": ["noether": ["prose": prose]], "source": Notebook.sourceLines(Notebook.markdown(prose))])
        }
        var count = 0
        for line in lines {
            switch line {
            case .prose(let s): prose.append(s)
            case .cell(let k):
                flushProse()
                count += 1
                let cell = cells[k]
                var outputs: [[String: Any]] = []
                if !cell.expected.isEmpty {
                    outputs.append(["output_type": "stream", "name": "stdout", "text": Notebook.sourceLines(cell.expected.joined(separator: "\n") + "\n")])
                }
                output.append(["cell_type": "code", "id": "cell-\(output.count + 1)", "execution_count": count,
                               "metadata": ["noether": ["line": (cell.bare ? ">" : "> ") + cell.input]], "outputs": outputs,
                               "source": Notebook.sourceLines(cell.input)])
            }
        }
        flushProse()
        let document: [String: Any] = [
            "cells": output,
            "metadata": ["kernelspec": ["name": "noether", "display_name": "Noether", "language": "noether"],
                         "language_info": ["name": "noether", "mimetype": "text/x-noether", "file_extension": ".txt"]],
            "nbformat": 4, "nbformat_minor": 5,
        ]
        var data = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        data.append(0x0A)
        return data
    }

    /// The text notebook of an nbformat-4 document; `name` is how errors call the file.
    public static func text(fromIPYNB data: Data, name: String) throws -> String {
        var warnings: [String] = []
        return try text(fromIPYNB: data, name: name, warnings: &warnings)
    }

    public static func text(fromIPYNB data: Data, name: String, warnings: inout [String]) throws -> String {
        func fail(_ message: String) -> ConversionError { ConversionError(description: "\(name): \(message)") }
        guard let document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("not a Jupyter notebook (it is not a JSON object)")
        }
        guard let format = document["nbformat"] as? Int else { throw fail("not a Jupyter notebook (no 'nbformat' number)") }
        guard format == 4 else { throw fail("nbformat \(format) is not supported; convert it to version 4 first (jupyter nbconvert --to notebook)") }
        guard let cells = document["cells"] as? [[String: Any]] else { throw fail("'cells' is not a list of cells") }
        var out: [String] = []
        // Whether the last line written belongs to a code cell (a plain prose line after it
        // would read as its output).
        var afterCode = false
        for (index, cell) in cells.enumerated() {
            let at = "cell \(index + 1)"
            guard let type = cell["cell_type"] as? String else { throw fail("\(at) has no 'cell_type'") }
            guard let source = joinedSource(cell["source"]) else { throw fail("\(at): 'source' is neither text nor a list of lines") }
            let metadata = (cell["metadata"] as? [String: Any])?["noether"] as? [String: Any]
            switch type {
            case "markdown", "raw":
                if let prose = metadata?["prose"] as? [String], markdown(prose) == source,
                   !(afterCode && prose.first.map { !$0.isEmpty && !$0.hasPrefix("#") } == true) {
                    out += prose
                } else {
                    out += TextLines.split(source).map { $0.isEmpty ? "#" : "# " + unescapedMarkdown(String($0)) }
                }
                afterCode = false
            case "code":
                afterCode = true
                if let line = metadata?["line"] as? String, line.hasPrefix(">"), sourceLines(String(line.dropFirst(line == ">" ? 1 : 2))).joined() == source {
                    out.append(line)
                    try appendOutputs(cell, at: at)
                    continue
                }
                var statements: [String] = []
                for raw in TextLines.split(source) {
                    let (code, comment) = splitComment(String(raw))
                    if let comment { out.append(comment) }
                    let trimmed = code.trimmingCharacters(in: .whitespaces)
                    if !trimmed.isEmpty { statements.append(trimmed) }
                }
                guard !statements.isEmpty else { continue }
                out.append("> " + statements.joined(separator: "; "))
                try appendOutputs(cell, at: at)
            default:
                throw fail("\(at) is of type '\(type)' (markdown, code or raw)")
            }
        }
        return out.joined(separator: "\n") + "\n"

        func appendOutputs(_ cell: [String: Any], at: String) throws {
            guard let outputs = cell["outputs"] as? [[String: Any]] ?? (cell["outputs"] == nil ? [] : nil) else {
                throw fail("\(at): 'outputs' is not a list")
            }
            for output in outputs {
                let text: String?
                switch output["output_type"] as? String {
                case "stream": text = output["name"] as? String == "stderr" ? nil : joinedSource(output["text"])
                case "execute_result", "display_data":
                    let data = output["data"] as? [String: Any]
                    let progress = ((output["metadata"] as? [String: Any])?["noether"] as? [String: Any])?["progress"] as? Bool == true
                    text = progress || data?["image/png"] != nil ? nil : data.flatMap { joinedSource($0["text/plain"]) }
                case "error": text = (output["traceback"] as? [String])?.map(stripANSI).joined(separator: "\n")
                default: throw fail("\(at): an output of type '\(output["output_type"] ?? "none")' (stream, execute_result, display_data or error)")
                }
                guard let text, !text.isEmpty else { continue }
                let lines = TextLines.split(text.hasSuffix("\n") ? String(text.dropLast()) : text).map(String.init)
                if let odd = lines.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.hasPrefix("#") || $0.hasPrefix("> ") || $0 == ">" }) {
                    warnings.append("\(name), \(at): the output line '\(odd.prefix(60))' cannot be recorded in a text notebook (a blank line, or one starting with # or '> ', ends the output there); noether check will report the rest")
                }
                out += lines
            }
        }
    }

    // MARK: Pieces

    /// Prose lines as Markdown: `# ` taken off, special characters escaped.
    static func markdown(_ prose: [String]) -> String {
        prose.map { line -> String in
            var s = Substring(line)
            if s.hasPrefix("# ") { s = s.dropFirst(2) } else if s == "#" { s = "" }
            var out = ""
            for c in s {
                if markdownSpecial.contains(c) { out.append("\\") }
                out.append(c)
            }
            return out
        }.joined(separator: "\n")
    }

    /// The Markdown source with the escapes `markdown` adds taken out; other backslashes (LaTeX,
    /// paths) stay.
    static func unescapedMarkdown(_ s: String) -> String {
        var out = "", escape = false
        for c in s {
            if escape {
                if !markdownSpecial.contains(c) { out.append("\\") }
                out.append(c)
                escape = false
            } else if c == "\\" { escape = true } else { out.append(c) }
        }
        if escape { out.append("\\") }
        return out
    }

    static let markdownSpecial: Set<Character> = ["\\", "`", "*", "_", "[", "]", "<", ">", "#", "|"]

    /// nbformat's multi-line strings: a list of lines, each but the last ending in "\n".
    static func sourceLines(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var lines = text.components(separatedBy: "\n").map { $0 + "\n" }
        lines[lines.count - 1].removeLast()
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func joinedSource(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let lines = value as? [String] { return lines.joined() }
        return value == nil ? "" : nil
    }

    /// A code line's statement part and its `#` comment (outside strings) as a prose line.
    static func splitComment(_ line: String) -> (String, String?) {
        var inString = false
        for (i, c) in line.enumerated() {
            if c == "\"" { inString.toggle() } else if c == "#" && !inString {
                let comment = String(line.dropFirst(i))
                return (String(line.prefix(i)), comment.hasPrefix("# ") || comment == "#" ? comment : "# " + comment.dropFirst())
            }
        }
        return (line, nil)
    }

    /// Terminal colour codes taken out of a traceback line.
    static func stripANSI(_ s: String) -> String {
        s.replacingOccurrences(of: "\u{1B}\\[[0-9;]*[A-Za-z]", with: "", options: .regularExpression)
    }
}
