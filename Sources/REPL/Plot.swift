import Dynamics
import Foundation

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

    static func write(_ series: [Series], to path: String, title: String, xlabel: String, ylabel: String, logY: Bool = false,
                      integerX: Bool = false) throws {
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
    }

    static func quote(_ s: String) -> String { s.replacingOccurrences(of: "'", with: "''") }
}
