/// A table a verb prints: lines above it, a header and rows of cells, lines below it. The REPL
/// and the text notebooks show `text`; Jupyter shows `html`, a real table.
struct TextTable {
    var above: [String] = []
    var header: [String]
    var rows: [[String]]
    var below: [String] = []
    /// The printed form when it is not the aligned columns (`f.table` keeps its fixed widths).
    var layout: String?

    var text: String { layout ?? (above + TextColumns.aligned([header] + rows) + below).joined(separator: "\n") }

    var html: String {
        func cells(_ row: [String], _ tag: String) -> String {
            "<tr>" + row.map { "<\(tag)>\(HTML.escaped($0))</\(tag)>" }.joined() + "</tr>"
        }
        var parts = above.map { "<p>\(HTML.escaped($0))</p>" }
        parts.append("<table>\n<thead>" + cells(header, "th") + "</thead>\n<tbody>\n"
                     + rows.map { cells($0, "td") }.joined(separator: "\n") + "\n</tbody>\n</table>")
        parts += below.map { "<p>\(HTML.escaped($0))</p>" }
        return parts.joined(separator: "\n")
    }
}

enum HTML {
    /// Text made safe inside an HTML element or attribute.
    static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
