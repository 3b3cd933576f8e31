import Dynamics
import Foundation
import Symbolic

/// PNG figures through gnuplot (Debian's gnuplot-nox): data, script and image go to a private
/// temporary folder, and the image is then written to its place by `AtomicFile` (atomically,
/// through links, keeping a replaced file's mode, refusing what is not a regular file), so a
/// failure never leaves half a file.
enum Plot {
    struct Series {
        var title: String
        var points: [(Double, Double)]
        /// "lines", "points" or "linespoints".
        var style: String
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static var gnuplot: String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin"
        return path.split(separator: ":").map { $0 + "/gnuplot" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Ten distinguishable colours (matplotlib's tab10), for series that are classes or pairs.
    static let classColours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    static func write(_ series: [Series], to path: String, title: String, xlabel: String, ylabel: String, logY: Bool = false,
                      integerX: Bool = false, colours: [String]? = nil) throws {
        try render(to: path) { directory, image in
            let plots = try series.enumerated().map { k, s in
                try clause(s, file: directory.appendingPathComponent("series\(k).dat"), width: 2, pointSize: 0.5,
                           title: s.title.count > 48 ? String(s.title.prefix(45)) + "..." : s.title)
            }
            var script = """
            set terminal png size 900,560 font ",11"
            set output '\(quote(image))'
            set title '\(quote(title))'
            set xlabel '\(quote(xlabel))'
            set ylabel '\(quote(ylabel))'
            set grid
            set key inside left top box opaque
            """
            if logY { script += "\nset logscale y\nset format y '%.0e'" }
            if integerX { script += "\nset xtics 1" }
            // Series k drawn in colour k.
            if let colours { script += colours.enumerated().map { "\nset linetype \($0 + 1) lc rgb '\($1)'" }.joined() }
            return script + "\nplot " + plots.joined(separator: ", ") + "\n"
        }
    }

    /// Panels side by side in `columns` columns, each with its own series and title; with
    /// `equalAxes` both axes have one scale (phase planes: a circle looks round), otherwise
    /// each panel is square.
    static func writePanels(_ panels: [(title: String, series: [Series])], columns: Int, to path: String, title: String, xlabel: String, ylabel: String,
                            equalAxes: Bool = true) throws {
        guard !panels.isEmpty, columns > 0 else { throw Failure(description: "nothing to plot") }
        try render(to: path) { directory, image in
            let rows = (panels.count + columns - 1) / columns
            var script = """
            set terminal png size \(360 * columns),\(340 * rows + 40) font ",10"
            set output '\(quote(image))'
            set size \(equalAxes ? "ratio -1" : "square")
            set grid
            set key outside bottom center horizontal
            set multiplot layout \(rows),\(columns) title '\(quote(title))'
            set xlabel '\(quote(xlabel))'
            set ylabel '\(quote(ylabel))'
            """
            for (p, panel) in panels.enumerated() {
                let plots = try panel.series.enumerated().map { k, s in
                    try clause(s, file: directory.appendingPathComponent("panel\(p)-\(k).dat"), width: 1, pointSize: 0.3, title: s.title)
                }
                script += "\nset title '\(quote(panel.title))'\nplot " + plots.joined(separator: ", ")
            }
            return script + "\nunset multiplot\n"
        }
    }

    /// A scatter of points coloured by a continuous value (palette, with its colour bar named
    /// `colorLabel`), equal axes.
    static func writeColoured(_ points: [(x: Double, y: Double, c: Double)], to path: String, title: String, xlabel: String, ylabel: String, colorLabel: String) throws {
        try render(to: path) { directory, image in
            let file = directory.appendingPathComponent("points.dat")
            try (points.map { String(format: "%.17g %.17g %.17g", $0.x, $0.y, $0.c) }.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            // The colour scale spans the middle 98 % of the values, so a few outliers do not wash it out.
            let sorted = points.map(\.c).sorted()
            let low = sorted.isEmpty ? 0 : sorted[sorted.count / 100], high = sorted.isEmpty ? 1 : sorted[sorted.count - 1 - sorted.count / 100]
            return (high > low ? "set cbrange [\(low):\(high)]\n" : "") + """
            set terminal png size 760,640 font ",11"
            set output '\(quote(image))'
            set title '\(quote(title))'
            set xlabel '\(quote(xlabel))'
            set ylabel '\(quote(ylabel))'
            set cblabel '\(quote(colorLabel))'
            set grid
            set palette defined (0 '#3b4cc0', 0.5 '#dddddd', 1 '#b40426')
            plot '\(file.path)' using 1:2:3 with points pt 7 ps 0.45 lc palette notitle

            """
        }
    }

    /// Square grey-scale images (row-major, `side` × `side`, ink dark) in a grid of
    /// `rowLabels.count` rows by `columnLabels.count` columns, values clipped to `range`.
    static func writeImages(_ images: [[Double]], side: Int, rowLabels: [String], columnLabels: [String], range: (Double, Double),
                            to path: String, title: String) throws {
        let rows = rowLabels.count, columns = columnLabels.count
        guard rows > 0, columns > 0, images.count == rows * columns, images.allSatisfy({ $0.count == side * side }) else {
            throw Failure(description: "the images do not fill the grid")
        }
        try render(to: path) { directory, image in
            let left = 0.1, top = 0.9
            var script = """
            set terminal png size \(90 * columns + 110),\(90 * rows + 90) font ",9"
            set output '\(quote(image))'
            unset key; unset colorbox; unset xtics; unset ytics; unset border
            set palette gray negative
            set cbrange [\(range.0):\(range.1)]
            set xrange [-0.5:\(Double(side) - 0.5)]
            set yrange [\(Double(side) - 0.5):-0.5]
            set multiplot layout \(rows),\(columns) title '\(quote(title))' margins \(left),0.99,0.02,\(top) spacing 0.01,0.02
            """
            for r in 0..<rows {
                for c in 0..<columns {
                    let file = directory.appendingPathComponent("image\(r)-\(c).dat")
                    let pixels = images[r * columns + c]
                    let text = (0..<side).map { i in (0..<side).map { String(format: "%.6g", pixels[i * side + $0]) }.joined(separator: " ") }.joined(separator: "\n") + "\n"
                    try text.write(to: file, atomically: true, encoding: .utf8)
                    script += "\nset title '\(r == 0 ? quote(columnLabels[c]) : "")'"
                    script += "\nset ylabel '\(c == 0 ? quote(rowLabels[r]) : "")'"
                    script += "\nplot '\(file.path)' matrix with image"
                }
            }
            return script + "\nunset multiplot\n"
        }
    }

    /// A heat map: one cell per (i, j) with its value's colour and its number written in it
    /// (missing cells blank, marked "-": NaN, which gnuplot's image leaves undrawn in place); the colour scale is log10 when every value is positive
    /// and they span more than a factor of 100.
    static func writeHeatMap(_ cells: [(i: Int, j: Int, mean: Double?)], xLabels: [String], yLabels: [String], to path: String,
                             title: String, xlabel: String, ylabel: String, valueLabel: String) throws {
        let values = cells.compactMap(\.mean)
        guard !values.isEmpty else { throw Failure(description: "no cell of the heat map has a value (no run finished)") }
        let logScale = values.allSatisfy { $0 > 0 } && values.max()! / values.min()! > 100
        try render(to: path) { directory, image in
            let file = directory.appendingPathComponent("cells.dat")
            var text = ""
            for c in cells {
                let colour = c.mean.map { logScale ? log10($0) : $0 }
                text += "\(c.i) \(c.j) \(colour.map { String(format: "%.17g", $0) } ?? "NaN") \"\(c.mean.map { TextPrinter.format($0, significantDigits: 3) } ?? "-")\"\n"
            }
            try text.write(to: file, atomically: true, encoding: .utf8)
            let ticks = { (labels: [String]) in "(" + labels.enumerated().map { "'\(quote($1))' \($0)" }.joined(separator: ", ") + ")" }
            return """
            set terminal png size \(max(520, 110 * xLabels.count + 220)),\(max(420, 80 * yLabels.count + 160)) font ",10"
            set output '\(quote(image))'
            set title '\(quote(title))' noenhanced
            set xlabel '\(quote(xlabel))' noenhanced
            set ylabel '\(quote(ylabel))' noenhanced
            set cblabel '\(quote((logScale ? "log10 " : "") + valueLabel))' noenhanced
            set xrange [-0.5:\(Double(xLabels.count) - 0.5)]
            set yrange [-0.5:\(Double(yLabels.count) - 0.5)]
            set xtics \(ticks(xLabels)) noenhanced
            set ytics \(ticks(yLabels)) noenhanced
            set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
            set style textbox opaque noborder
            unset key
            plot '\(file.path)' using 1:2:3 with image, '' using 1:2:4 with labels boxed textcolor rgb 'black' font ',10' noenhanced
            """
        }
    }

    /// Writes a series' points to `file` and returns its clause of a plot command.
    static func clause(_ s: Series, file: URL, width: Int, pointSize: Double, title: String) throws -> String {
        let text = s.points.map { String(format: "%.17g %.17g", $0.0, $0.1) }.joined(separator: "\n") + "\n"
        try text.write(to: file, atomically: true, encoding: .utf8)
        let style = s.style == "points" ? "with points pt 7 ps \(pointSize)" : s.style == "linespoints" ? "with linespoints lw \(width) pt 7" : "with lines lw \(width)"
        return "'\(file.path)' \(style) title '\(quote(title))'"
    }

    /// The checks every figure makes (gnuplot present, a .png name, a writable destination), a
    /// private folder in which `script` writes its data files and returns the gnuplot script
    /// that draws to `image`, then gnuplot run on it and the image moved to `path`.
    static func render(to path: String, _ script: (_ directory: URL, _ image: String) throws -> String) throws {
        guard let gnuplot else {
            throw Failure(description: "plot needs gnuplot (apt-get install gnuplot-nox; scripts/setup.sh installs it)")
        }
        guard path.hasSuffix(".png") else { throw Failure(description: "the file name must end in .png") }
        try AtomicFile.checkDestination(path)
        let directory = try TemporaryFolder.create("noether-plot")
        defer { try? FileManager.default.removeItem(at: directory) }
        let temporary = directory.appendingPathComponent("plot.png").path
        let scriptURL = directory.appendingPathComponent("plot.gp")
        try script(directory, temporary).write(to: scriptURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gnuplot)
        process.arguments = [scriptURL.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: temporary) else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(description: "gnuplot failed: \(String(decoding: message.prefix(300), as: UTF8.self))")
        }
        try AtomicFile.write(try RegularFile.read(temporary), to: path)
        LiveOutput.image?(path)
    }

    static func quote(_ s: String) -> String { s.replacingOccurrences(of: "'", with: "''") }
}
