import Foundation
import Dynamics
#if canImport(Glibc)
import Glibc
#endif

/// What one configuration's run left: `OUT/NAME/metrics.json`.
public struct ScanMetrics: Codable, Equatable, Sendable {
    public var index: Int
    public var name: String
    /// (parameter, value as written) in the grid's order.
    public var configuration: [[String]]
    /// The notebook's `record(name, value)` calls, in order (a name recorded twice keeps its
    /// last value).
    public var metrics: [Metric]
    public var wallTimeSeconds: Double
    public var peakMemoryBytes: Int
    /// 0: every statement ran (or failed where the template shows an error); 1: some failed.
    public var exitStatus: Int
    public var failedStatements: Int
    /// The first failure's message, when one failed.
    public var firstError: String?
    public var host: String

    public struct Metric: Codable, Equatable, Sendable {
        public var name: String
        public var value: Double
    }

    public func metric(_ name: String) -> Double? { metrics.last { $0.name == name }?.value }

    static func path(out: String, name: String) -> String { ((out as NSString).appendingPathComponent(name) as NSString).appendingPathComponent("metrics.json") }

    /// The metrics of `configuration` in `out`, if its folder holds a readable file for it.
    static func read(out: String, _ c: ScanPlan.Configuration) -> ScanMetrics? {
        guard let data = FileManager.default.contents(atPath: path(out: out, name: c.name)),
              let m = try? JSONDecoder().decode(ScanMetrics.self, from: data), m.name == c.name, m.index == c.index else { return nil }
        return m
    }

    /// Whether a resumed scan keeps this run: it finished and nothing failed.
    var isComplete: Bool { exitStatus == 0 }
}

/// One configuration's run, in the process that `noether scan-task OUT INDEX` starts (locally
/// or as a Slurm array task): the filled template runs in a fresh session inside a private
/// folder under `OUT/.work`, which becomes `OUT/NAME` by one rename when its metrics are
/// written. A run cut off (killed, a node lost) leaves only its private folder: never a
/// configuration folder without metrics.
public enum ScanTask {
    /// Runs configuration `index` of the scan in `out`; returns the process's exit status
    /// (0 when every statement ran).
    public static func run(out: String, index: Int, timeout: Double?) throws -> Int32 {
        let plan = try ScanPlan.read(out: out)
        guard plan.configurations.indices.contains(index) else {
            throw ScanPlan.Failure("\(out) has configurations 0 to \(plan.configurations.count - 1), not \(index)")
        }
        let c = plan.configurations[index]
        let fm = FileManager.default
        let root = fm.currentDirectoryPath
        let outPath = absolute(out, from: root)
        let workRoot = (outPath as NSString).appendingPathComponent(".work")
        let work = (workRoot as NSString).appendingPathComponent("\(c.name).\(getpid())")
        try? fm.removeItem(atPath: work)
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        let text = plan.filled(c)
        try AtomicFile.write(Data(text.utf8), to: (work as NSString).appendingPathComponent("notebook.txt"))

        // The notebook runs from its folder: what it saves by a relative name stays with it.
        guard fm.changeCurrentDirectoryPath(work) else { throw ScanPlan.Failure("cannot enter \(work)") }
        let start = Date()
        let notebook = Notebook(text: text)
        let interpreter = Interpreter(timeout: timeout)
        let outcomes = notebook.execute(in: interpreter)
        let wall = Date().timeIntervalSince(start)
        _ = fm.changeCurrentDirectoryPath(root)

        let transcript = notebook.transcript(outcomes.map { $0.flatMap(\.lines) })
        try AtomicFile.write(Data(transcript.utf8), to: (work as NSString).appendingPathComponent("transcript.txt"))
        let failed = notebook.unexpectedFailures(outcomes)
        let firstError = failed == 0 ? nil : outcomes.joined().first(where: \.failed)?.lines.first { $0.hasPrefix("error:") }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let metrics = ScanMetrics(index: c.index, name: c.name, configuration: c.values,
                                  metrics: interpreter.session.records.map { .init(name: $0.name, value: $0.value) },
                                  wallTimeSeconds: (wall * 1000).rounded() / 1000, peakMemoryBytes: Int(usage.ru_maxrss) * 1024,
                                  exitStatus: failed == 0 ? 0 : 1, failedStatements: failed, firstError: firstError,
                                  host: ProcessInfo.processInfo.hostName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(metrics), to: (work as NSString).appendingPathComponent("metrics.json"))

        // Into place: an earlier (failed) run's folder is moved aside first, then removed.
        let final = (outPath as NSString).appendingPathComponent(c.name)
        if fm.fileExists(atPath: final) {
            let aside = (workRoot as NSString).appendingPathComponent("replaced-\(c.name).\(getpid())")
            try fm.moveItem(atPath: final, toPath: aside)
            try? fm.removeItem(atPath: aside)
        }
        try fm.moveItem(atPath: work, toPath: final)
        return failed == 0 ? 0 : 1
    }

    static func absolute(_ path: String, from root: String) -> String {
        path.hasPrefix("/") ? path : ((root as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}
