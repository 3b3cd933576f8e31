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
        guard let gnuplot else {
            throw Failure(description: "plot needs gnuplot (apt-get install gnuplot-nox; scripts/setup.sh installs it)")
        }
        guard path.hasSuffix(".png") else { throw Failure(description: "the file name must end in .png") }
        try AtomicFile.checkDestination(path)
        let directory = try TemporaryFolder.create("noether-plot")
        defer { try? FileManager.default.removeItem(at: directory) }
        var plots: [String] = []
        for (k, s) in series.enumerated() {
            let data = directory.appendingPathComponent("series\(k).dat")
            let text = s.points.map { String(format: "%.17g %.17g", $0.0, $0.1) }.joined(separator: "\n") + "\n"
            try text.write(to: data, atomically: true, encoding: .utf8)
            let style = s.style == "points" ? "with points pt 7 ps 0.5" : s.style == "linespoints" ? "with linespoints lw 2 pt 7" : "with lines lw 2"
            let shown = s.title.count > 48 ? String(s.title.prefix(45)) + "..." : s.title
            plots.append("'\(data.path)' \(style) title '\(quote(shown))'")
        }
        let temporary = directory.appendingPathComponent("plot.png").path
        var script = """
        set terminal png size 900,560 font ",11"
        set output '\(quote(temporary))'
        set title '\(quote(title))'
        set xlabel '\(quote(xlabel))'
        set ylabel '\(quote(ylabel))'
        set grid
        set key inside left top box opaque
        """
        if logY { script += "\nset logscale y\nset format y '%.0e'" }
        if integerX { script += "\nset xtics 1" }
        script += "\nplot " + plots.joined(separator: ", ") + "\n"
        try render(script, gnuplot: gnuplot, in: directory, image: temporary, to: path)
    }

    /// Panels side by side in `columns` columns, each with its own series and title; with
    /// `equalAxes` both axes have one scale (phase planes: a circle looks round), otherwise
    /// each panel is square.
    static func writePanels(_ panels: [(title: String, series: [Series])], columns: Int, to path: String, title: String, xlabel: String, ylabel: String,
                            equalAxes: Bool = true) throws {
        guard let gnuplot else {
            throw Failure(description: "plot needs gnuplot (apt-get install gnuplot-nox; scripts/setup.sh installs it)")
        }
        guard path.hasSuffix(".png") else { throw Failure(description: "the file name must end in .png") }
        try AtomicFile.checkDestination(path)
        let directory = try TemporaryFolder.create("noether-plot")
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = (panels.count + columns - 1) / columns
        let temporary = directory.appendingPathComponent("plot.png").path
        var script = """
        set terminal png size \(360 * columns),\(340 * rows + 40) font ",10"
        set output '\(quote(temporary))'
        set size \(equalAxes ? "ratio -1" : "square")
        set grid
        set key outside bottom center horizontal
        set multiplot layout \(rows),\(columns) title '\(quote(title))'
        set xlabel '\(quote(xlabel))'
        set ylabel '\(quote(ylabel))'
        """
        for (p, panel) in panels.enumerated() {
            var plots: [String] = []
            for (k, s) in panel.series.enumerated() {
                let data = directory.appendingPathComponent("panel\(p)-\(k).dat")
                let text = s.points.map { String(format: "%.17g %.17g", $0.0, $0.1) }.joined(separator: "\n") + "\n"
                try text.write(to: data, atomically: true, encoding: .utf8)
                let style = s.style == "points" ? "with points pt 7 ps 0.3" : s.style == "linespoints" ? "with linespoints lw 1 pt 7" : "with lines lw 1"
                plots.append("'\(data.path)' \(style) title '\(quote(s.title))'")
            }
            script += "\nset title '\(quote(panel.title))'\nplot " + plots.joined(separator: ", ")
        }
        script += "\nunset multiplot\n"
        try render(script, gnuplot: gnuplot, in: directory, image: temporary, to: path)
    }

    /// Runs gnuplot on `script` in `directory` and moves the image it wrote to `path`.
    static func render(_ script: String, gnuplot: String, in directory: URL, image temporary: String, to path: String) throws {
        let scriptURL = directory.appendingPathComponent("plot.gp")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
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
