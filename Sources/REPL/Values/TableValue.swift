import Foundation
import Symbolic
import Dynamics

/// Columns of numbers over a dataset's rows (a model's latent coordinates on the data), with the
/// rows' trajectory, split and time: printed as a summary per column, saved as CSV with a
/// two-line `#` preamble like a dataset (`np.genfromtxt(path, delimiter=",", skip_header=2,
/// names=True, dtype=None, encoding=None)` reads it).
struct TableValue: SavableValue {
    /// What the table is ("latent coordinates of the scnn model on custom").
    var title: String
    var names: [String]
    /// Row-major: row k is `values[k*names.count ..< (k+1)*names.count]`.
    var values: [Double]
    var data: Dataset

    var kindName: String { "a table" }
    var rows: Int { data.count }

    var display: String {
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        var lines = ["table: \(title), \(rows) rows of (\(names.joined(separator: ", ")))"]
        for (c, name) in names.enumerated() {
            let column = (0..<rows).map { values[$0 * names.count + c] }
            let mean = column.reduce(0, +) / Double(max(1, rows))
            let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, rows))).squareRoot()
            lines.append("  \(name): mean \(short(mean)), sd \(short(sd)), from \(short(column.min() ?? 0)) to \(short(column.max() ?? 0))")
        }
        return lines.joined(separator: "\n")
    }

    func save(to path: String) throws -> String {
        if path.hasSuffix(".npy") {
            try AtomicFile.write(NumPyFile.encode(.init(shape: [rows, names.count], values: .float64(values))), to: path)
            return "wrote \(rows) rows of (\(names.joined(separator: ", "))) to \(path)"
        }
        if path.hasSuffix(".npz") {
            try AtomicFile.write(try NumPyFile.archive([("values", .init(shape: [rows, names.count], values: .float64(values)))]
                + DatasetArchive.rowArrays(data) + [("metadata", DatasetArchive.json(["title": title, "names": names]))]), to: path)
            return "wrote \(rows) rows of (\(names.joined(separator: ", "))) to \(path)"
        }
        func repr(_ x: Double) -> String { String(format: "%.17g", x) }
        var text = "# noether table 1\n# \(title); rows: \(rows)\n" + (["trajectory", "split", "t"] + names).joined(separator: ",") + "\n"
        for k in 0..<rows {
            let row = [String(data.trajectoryIDs[k]), data.isTest(k) ? "test" : "train", repr(data.times[k])]
                + (0..<names.count).map { repr(values[k * names.count + $0]) }
            text += row.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: path)
        return "wrote \(rows) rows to \(path)"
    }
}

/// Rows of cells as lines, each column padded to its widest cell and columns three spaces apart
/// (the last cell unpadded): the layout of `compare` and `curve`.
enum TextColumns {
    static func aligned(_ rows: [[String]]) -> [String] {
        guard let first = rows.first else { return [] }
        let widths = first.indices.map { c in rows.map { $0[c].count }.max()! }
        return rows.map { cells in
            cells.enumerated().map { c, text in c == cells.count - 1 ? text : text.padding(toLength: widths[c], withPad: " ", startingAt: 0) }.joined(separator: "   ")
        }
    }
}
