import Foundation
import Symbolic
#if canImport(Glibc)
import Glibc
#endif

/// How a scan runs: on this machine's cores, or as a Slurm job array.
public struct ScanOptions: Sendable {
    public enum Backend: String, Sendable { case local, slurm }
    public var backend: Backend = .local
    /// Local: configurations at once (default: the number of cores).
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Each statement's time limit in a configuration's run (seconds).
    public var timeout: Double?
    /// Slurm resources per array task (sbatch's --cpus-per-task, --mem, --time, --partition),
    /// the most tasks running at once (`%N`), and whether to submit or only write the script.
    public var cpus: Int = 1
    public var memory: String?
    public var time: String?
    public var partition: String?
    public var throttle: Int?
    public var submit = true

    public init() {}
}

/// What a scan did.
public struct ScanOutcome: Sendable {
    public var out: String
    public var total: Int
    /// Configurations whose results were already there (a resumed scan skips them).
    public var kept: Int
    public var succeeded: Int
    /// (configuration, why) for each run that failed or never finished.
    public var failed: [(name: String, reason: String)]
    public var seconds: Double
    public var how: String
    /// For `submit: false`: the script written, not run.
    public var scriptOnly: String?

    public var summary: String {
        if let script = scriptOnly {
            return "wrote \(script) (\(total - kept) array tasks of \(total) configurations; \(kept) already done): submit it with sbatch \(script); results(\"\(out)\") reads what has finished"
        }
        var lines = ["scan of \(total) configurations in \(out) (\(how)): \(kept + succeeded) done (\(kept) kept from before, \(succeeded) run now), \(failed.count) failed; \(ScanOutcome.duration(seconds))"]
        for f in failed.prefix(10) { lines.append("  failed: \(f.name): \(f.reason)") }
        if failed.count > 10 { lines.append("  … and \(failed.count - 10) more") }
        if !failed.isEmpty { lines.append("  the same scan again reruns the failed configurations and keeps the rest") }
        return lines.joined(separator: "\n")
    }

    static func duration(_ s: Double) -> String {
        s < 60 ? String(format: "%.1f s", s) : s < 3600 ? "\(Int(s) / 60) min \(Int(s) % 60) s" : "\(Int(s) / 3600) h \(Int(s) % 3600 / 60) min"
    }
}

/// Runs a scan's remaining configurations. Configurations whose folder holds complete metrics
/// are kept; the others (never run, failed, cut off) run again.
public enum ScanDriver {
    /// The noether executable that runs one configuration (`noether scan-task`): this process's
    /// own binary, or `NOETHER_EXECUTABLE` (tests run inside xctest).
    public static var executable: String {
        if let e = ProcessInfo.processInfo.environment["NOETHER_EXECUTABLE"], !e.isEmpty { return e }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public static func run(_ plan: ScanPlan, out: String, options: ScanOptions, progress: @escaping (String) -> Void) throws -> ScanOutcome {
        let root = FileManager.default.currentDirectoryPath
        let out = ScanTask.absolute(out, from: root)
        // The lock first: two scans started at once into a new folder must not both write a plan.
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw ScanPlan.Failure("cannot make the out folder \(out): \(ScanPlan.reason(error))")
        }
        let lock = try ScanLock(out: out)
        defer { lock.release() }
        try plan.prepare(out: out)
        // An array job of this scan that is still queued or running would run its tasks twice
        // (and, locally, lose the private folders it is writing): refused until it ends.
        if let job = SlurmScan.liveJob(out: out) {
            throw ScanPlan.Failure("array job \(job) of this scan is still queued or running (squeue -j \(job)): wait for it to end, or scancel \(job), then scan again to collect and complete")
        }
        // Locally, private folders of runs that were cut off are dropped: no run of this scan is
        // alive (the lock and the check above say so). A Slurm array's own folders stay.
        if options.backend == .local { try? FileManager.default.removeItem(atPath: (out as NSString).appendingPathComponent(".work")) }
        let pending = plan.configurations.filter { ScanMetrics.read(out: out, $0)?.isComplete != true }
        let kept = plan.configurations.count - pending.count
        switch options.backend {
        case .local: return try LocalScan.run(plan, pending: pending, kept: kept, out: out, options: options, progress: progress)
        case .slurm: return try SlurmScan.run(plan, pending: pending, kept: kept, out: out, options: options, progress: progress)
        }
    }

    /// Why a configuration that ran has no complete result.
    static func failure(out: String, _ c: ScanPlan.Configuration, otherwise: String) -> String {
        if let m = ScanMetrics.read(out: out, c) {
            return "\(m.failedStatements) statement\(m.failedStatements == 1 ? "" : "s") failed" + (m.firstError.map { ": " + $0 } ?? "")
        }
        return otherwise
    }

    /// done/running/failed with a bar and the time left, from the mean time of a finished run.
    static func bar(done: Int, running: Int, failed: Int, total: Int, meanSeconds: Double?, parallel: Int) -> String {
        let width = 24, finished = done + failed
        let filled = total == 0 ? width : width * finished / total
        var text = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(done)/\(total) done, \(running) running, \(failed) failed"
        if let mean = meanSeconds, finished < total {
            let left = mean * Double(total - finished) / Double(max(1, parallel))
            text += ", about \(ScanOutcome.duration(left)) left"
        }
        return text
    }
}

/// One scan at a time per out folder: an exclusive lock on OUT/.lock, held while the scan runs
/// (released with the process, whatever ends it).
struct ScanLock {
    let descriptor: Int32

    init(out: String) throws {
        let path = (out as NSString).appendingPathComponent(".lock")
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ScanPlan.Failure("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ScanPlan.Failure("another scan is running in \(out) (it holds \(path)); wait for it, or give another out folder")
        }
    }

    func release() { flock(descriptor, LOCK_UN); close(descriptor) }
}

/// A process pool on this machine: `jobs` runs of `noether scan-task` at once.
enum LocalScan {
    static func run(_ plan: ScanPlan, pending: [ScanPlan.Configuration], kept: Int, out: String, options: ScanOptions,
                    progress: (String) -> Void) throws -> ScanOutcome {
        let start = Date()
        let exe = ScanDriver.executable
        let logs = (out as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        var queue = pending[...]
        var running: [(c: ScanPlan.Configuration, process: Process, started: Date)] = []
        var succeeded = 0, failed: [(String, String)] = [], durations: [Double] = []
        let jobs = max(1, options.jobs)
        func report() {
            progress(ScanDriver.bar(done: kept + succeeded, running: running.count, failed: failed.count, total: plan.configurations.count,
                                    meanSeconds: durations.isEmpty ? nil : durations.reduce(0, +) / Double(durations.count), parallel: jobs))
        }
        func stopAll() {
            for r in running where r.process.isRunning { kill(r.process.processIdentifier, SIGTERM) }
            let deadline = Date().addingTimeInterval(3)
            while running.contains(where: { $0.process.isRunning }) && Date() < deadline { usleep(20_000) }
            for r in running where r.process.isRunning { kill(r.process.processIdentifier, SIGKILL); r.process.waitUntilExit() }
            try? FileManager.default.removeItem(atPath: (out as NSString).appendingPathComponent(".work"))
        }
        report()
        while !queue.isEmpty || !running.isEmpty {
            if Interrupt.isRequested {
                stopAll()
                try Interrupt.check()
            }
            while running.count < jobs, let c = queue.popFirst() {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: exe)
                p.arguments = ["scan-task", out, String(c.index)] + (options.timeout.map { ["--timeout", String($0)] } ?? [])
                let log = (logs as NSString).appendingPathComponent("\(c.name).log")
                FileManager.default.createFile(atPath: log, contents: nil)
                let handle = FileHandle(forWritingAtPath: log)
                p.standardOutput = handle
                p.standardError = handle
                p.standardInput = FileHandle.nullDevice
                do { try p.run() } catch {
                    stopAll()
                    throw ScanPlan.Failure("cannot start \(exe) scan-task: \(ScanPlan.reason(error))")
                }
                try? handle?.close()
                running.append((c, p, Date()))
                report()
            }
            usleep(50_000)
            var changed = false
            running.removeAll { r in
                guard !r.process.isRunning else { return false }
                changed = true
                durations.append(Date().timeIntervalSince(r.started))
                if ScanMetrics.read(out: out, r.c)?.isComplete == true {
                    succeeded += 1
                } else {
                    let status = r.process.terminationReason == .uncaughtSignal ? "killed by signal \(r.process.terminationStatus)" : "exited with status \(r.process.terminationStatus)"
                    failed.append((r.c.name, ScanDriver.failure(out: out, r.c, otherwise: "\(status) before writing its metrics (log: logs/\(r.c.name).log)")))
                }
                return true
            }
            if changed { report() }
        }
        return ScanOutcome(out: out, total: plan.configurations.count, kept: kept, succeeded: succeeded, failed: failed,
                           seconds: Date().timeIntervalSince(start), how: "local, \(jobs) at once")
    }
}
