import Foundation
import Learn
import Symbolic
#if canImport(Glibc)
import Glibc
#endif

/// A scan as one Slurm job array: a script with one array task per remaining configuration
/// (each runs `noether scan-task OUT $SLURM_ARRAY_TASK_ID`), submitted with sbatch and followed
/// with squeue, then with sacct or, where accounting is off, scontrol, until every task ends.
enum SlurmScan {
    static func run(_ plan: ScanPlan, pending: [ScanPlan.Configuration], kept: Int, out: String, options: ScanOptions,
                    progress: (String) -> Void) throws -> ScanOutcome {
        let start = Date()
        let total = plan.configurations.count
        guard !pending.isEmpty else {
            return ScanOutcome(out: out, total: total, kept: kept, succeeded: 0, failed: [], seconds: 0, how: "slurm, nothing to submit")
        }
        let logs = (out as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let scriptPath = (out as NSString).appendingPathComponent("scan.sbatch")
        let script = self.script(indices: pending.map(\.index), out: out, logs: logs, options: options)
        do { try script.write(toFile: scriptPath, atomically: true, encoding: .utf8) } catch {
            throw ScanPlan.Failure("cannot write \(scriptPath): \(ScanPlan.reason(error))")
        }
        chmod(scriptPath, 0o755)
        guard options.submit else {
            return ScanOutcome(out: out, total: total, kept: kept, succeeded: 0, failed: [], seconds: 0, how: "slurm", scriptOnly: scriptPath)
        }
        let submitted = try command("sbatch", ["--parsable", scriptPath])
        guard submitted.status == 0, let job = submitted.output.split(separator: ";").first.map({ String($0).trimmingCharacters(in: .whitespacesAndNewlines) }), !job.isEmpty else {
            throw ScanPlan.Failure("Slurm refused the job (sbatch \(scriptPath)): \(submitted.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        progress("submitted array job \(job): \(pending.count) tasks (logs in \(logs))")
        let jobFile = (out as NSString).appendingPathComponent(".slurm-job")
        try? job.write(toFile: jobFile, atomically: true, encoding: .utf8)
        var durations: [Double] = []
        // Each task's last state seen: a pending task cancelled leaves no record behind.
        var lastSeen: [Int: String] = [:]
        let active = SlurmScan.activeStates
        let following = Date()
        var failures = 0
        while true {
            if Interrupt.isRequested {
                throw ScanPlan.Failure("stopped following array job \(job) (Ctrl-C); its tasks go on (scancel \(job) stops them); once it has ended, the same scan again collects its results and reruns what failed")
            }
            let queued = try command("squeue", ["-h", "-r", "-t", "all", "-j", job, "-o", "%K %T"])
            guard queued.status == 0 || queued.error.contains("Invalid job id") else {
                // A controller that times out now and then is normal on a busy cluster.
                failures += 1
                if failures >= 5 {
                    throw ScanPlan.Failure("squeue failed 5 times in a row while following array job \(job) (\(queued.error.trimmingCharacters(in: .whitespacesAndNewlines))); the job goes on: once it has ended, the same scan again collects it")
                }
                usleep(2_000_000)
                continue
            }
            failures = 0
            var states: [Int: String] = [:]
            for line in queued.output.split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 2, let task = Int(f[0]) { states[task] = String(f[1]) }
            }
            lastSeen.merge(states) { $1 }
            let running = states.values.filter { $0 == "RUNNING" }.count
            let unfinished = states.values.filter { active.contains($0) }.count
            let done = pending.filter { ScanMetrics.read(out: out, $0)?.isComplete == true }
            durations = done.compactMap { ScanMetrics.read(out: out, $0)?.wallTimeSeconds }
            progress(ScanDriver.bar(done: kept + done.count, running: running, failed: max(0, pending.count - unfinished - done.count), total: total,
                                    meanSeconds: durations.isEmpty ? nil : durations.reduce(0, +) / Double(durations.count), parallel: max(1, running)))
            if unfinished == 0 { break }
            // Half a second at first, then less often: a long scan asks the controller every 10 s.
            let elapsed = Date().timeIntervalSince(following)
            usleep(UInt32(min(10, 0.5 + elapsed / 30) * 1_000_000))
        }
        try? FileManager.default.removeItem(atPath: jobFile)
        let endStates = taskStates(job)
        var succeeded = 0, failed: [(String, String)] = []
        for c in pending {
            if ScanMetrics.read(out: out, c)?.isComplete == true { succeeded += 1; continue }
            let state: String
            if let s = endStates[c.index] ?? lastSeen[c.index].flatMap({ active.contains($0) ? nil : $0 }) {
                state = "Slurm state \(s)"
            } else if lastSeen[c.index] == "PENDING" {
                state = "Slurm state CANCELLED while pending (it left the queue without running)"
            } else {
                state = "no Slurm record"
            }
            failed.append((c.name, ScanDriver.failure(out: out, c, otherwise: "\(state), no metrics (log: logs/\(job)_\(c.index).out)")))
        }
        return ScanOutcome(out: out, total: total, kept: kept, succeeded: succeeded, failed: failed,
                           seconds: Date().timeIntervalSince(start), how: "slurm array job \(job)")
    }

    /// Slurm states in which a task may still run (or run again).
    static let activeStates: Set<String> = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "STOPPED", "REQUEUED",
                                            "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT"]

    /// The array job this scan submitted last, when Slurm still has tasks of it queued or running.
    static func liveJob(out: String) -> String? {
        let path = (out as NSString).appendingPathComponent(".slurm-job")
        guard let job = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !job.isEmpty else { return nil }
        guard let queued = try? command("squeue", ["-h", "-r", "-t", "all", "-j", job, "-o", "%T"]), queued.status == 0 else {
            // No Slurm here (or it no longer knows the job): nothing of it can be running.
            return nil
        }
        let live = queued.output.split(separator: "\n").contains { activeStates.contains(String($0).trimmingCharacters(in: .whitespaces)) }
        if !live { try? FileManager.default.removeItem(atPath: path) }
        return live ? job : nil
    }

    /// The sbatch script: one array task per index (ranges compressed, `%N` throttling).
    static func script(indices: [Int], out: String, logs: String, options: ScanOptions) -> String {
        var lines = ["#!/bin/bash", "# A Noether scan (\(out)): one array task per configuration; written by noether scan.",
                     "#SBATCH --job-name=noether-scan",
                     "#SBATCH --array=\(ranges(indices))" + (options.throttle.map { "%\($0)" } ?? ""),
                     "#SBATCH --output=\(logs)/%A_%a.out",
                     "#SBATCH --cpus-per-task=\(options.cpus)"]
        if let m = options.memory { lines.append("#SBATCH --mem=\(m)") }
        if let t = options.time { lines.append("#SBATCH --time=\(t)") }
        if let p = options.partition { lines.append("#SBATCH --partition=\(p)") }
        lines.append("#SBATCH --requeue")
        lines.append("export OPENBLAS_NUM_THREADS=1")
        // A kernel choice the user made travels with the job; one Noether made for this CPU does
        // not (sbatch exports the environment): each node's noether chooses for its own CPU.
        if let core = BLASKernel.userChoice { lines.append("export OPENBLAS_CORETYPE=\(core)") } else { lines.append("unset OPENBLAS_CORETYPE \(BLASKernel.pinnedMarker)") }
        lines.append("exec \(shellQuoted(ScanDriver.executable)) scan-task \(shellQuoted(out)) \"$SLURM_ARRAY_TASK_ID\"" + (options.timeout.map { " --timeout \($0)" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }

    /// 0,1,2,5,7,8 → "0-2,5,7-8".
    static func ranges(_ indices: [Int]) -> String {
        var parts: [String] = [], k = 0
        let sorted = indices.sorted()
        while k < sorted.count {
            var j = k
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(j == k ? "\(sorted[k])" : "\(sorted[k])-\(sorted[j])")
            k = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Each array task's final state, from sacct, or from scontrol where accounting is off.
    static func taskStates(_ job: String) -> [Int: String] {
        var states: [Int: String] = [:]
        if let acct = try? command("sacct", ["-j", job, "-X", "-n", "-P", "-o", "JobID,State"]), acct.status == 0 {
            for line in acct.output.split(separator: "\n") {
                let f = line.split(separator: "|")
                if f.count == 2, let u = f[0].split(separator: "_").last, let i = Int(u) { states[i] = String(f[1]) }
            }
            if !states.isEmpty { return states }
        }
        if let show = try? command("scontrol", ["show", "job", job, "-o"]), show.status == 0 {
            for line in show.output.split(separator: "\n") {
                var task: Int?, state: String?
                for field in line.split(separator: " ") {
                    if field.hasPrefix("ArrayTaskId=") { task = Int(field.dropFirst("ArrayTaskId=".count)) }
                    if field.hasPrefix("JobState=") { state = String(field.dropFirst("JobState=".count)) }
                }
                if let task, let state { states[task] = state }
            }
        }
        return states
    }

    /// Runs a Slurm command (from PATH); its status, output and error text.
    static func command(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [name] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw ScanPlan.Failure("cannot run \(name): \(ScanPlan.reason(error))") }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus == 127 { throw ScanPlan.Failure("on: slurm needs Slurm's \(name) on PATH (none found); scripts/slurm-local.sh starts a one-node cluster here") }
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
