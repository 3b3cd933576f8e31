import Foundation
import XCTest
import Learn
@testable import REPL

/// Scans: the plan (grid → configurations, template checks), the language's pieces (grid:,
/// record), the results table from metrics files, and the Slurm script. The end-to-end runs,
/// locally and through a real Slurm, are scripts/test-scan.sh.
final class ScanTests: XCTestCase {
    let template = "> m = train(hnn, d, lr: ${lr}, seed: ${seed})\n> record(loss, 1)\n"

    func plan(_ grid: [(String, [String])]) throws -> ScanPlan {
        try ScanPlan(template: "t.txt", text: template, grid: grid.map { ScanPlan.Parameter(name: $0.0, values: $0.1) })
    }

    func testConfigurationsAreTheGridsProductLastParameterFastest() throws {
        let p = try plan([("lr", ["1e-3", "1e-2"]), ("seed", ["0", "1", "2"])])
        XCTAssertEqual(p.configurations.map(\.name), ["lr=1e-3,seed=0", "lr=1e-3,seed=1", "lr=1e-3,seed=2", "lr=1e-2,seed=0", "lr=1e-2,seed=1", "lr=1e-2,seed=2"])
        XCTAssertEqual(p.configurations.map(\.index), Array(0..<6))
        XCTAssertEqual(p.filled(p.configurations[4]), "> m = train(hnn, d, lr: 1e-2, seed: 1)\n> record(loss, 1)\n")
    }

    func testBadGridsAreRefusedWithTheReason() {
        func message(_ grid: [(String, [String])]) -> String {
            do { _ = try plan(grid); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message([]).contains("the grid is empty"))
        XCTAssertTrue(message([("lr", ["1"]), ("seed", ["0"]), ("alpha", ["1"])]).contains("has no parameter 'alpha': it names ${lr}, ${seed}"))
        XCTAssertTrue(message([("lr", ["1"])]).contains("uses ${seed}, which the grid does not give"))
        XCTAssertTrue(message([("lr", []), ("seed", ["0"])]).contains("gives 'lr' no values"))
        XCTAssertTrue(message([("lr", ["1", "1"]), ("seed", ["0"])]).contains("the same value twice"))
        XCTAssertTrue(message([("lr", ["a/b"]), ("seed", ["0"])]).contains("cannot name a folder"))
        XCTAssertTrue(message([("lr", ["1"]), ("lr", ["2"]), ("seed", ["0"])]).contains("names 'lr' twice"))
    }

    func testTheLanguageReadsGridsAndRecords() {
        let repl = Interpreter()
        let lines = { (s: String) in repl.execute(s).flatMap(\.lines).joined(separator: "\n") }
        XCTAssertEqual(lines("record(loss, 1/4)"), "recorded loss = 0.25")
        XCTAssertTrue(lines("record(loss, 1/0)").hasPrefix("error:"))
        XCTAssertTrue(lines("record(bad, [1, 2])").contains("record's value is a number, not a list"))
        XCTAssertTrue(lines("x = record(loss, 2)").contains("A recorded metric changes the session and prints; it has no value to assign"))
        XCTAssertEqual(repl.session.records.map(\.name), ["loss"])
        XCTAssertEqual(repl.session.records.map(\.value), [0.25])  // the failed statements recorded nothing
        XCTAssertEqual(lines("record(loss, 3)"), "recorded loss = 3.0")
        XCTAssertEqual(repl.session.records.map(\.value), [3])     // recorded again: replaced in place
        XCTAssertTrue(lines("[a: 1, 2]").contains("a list holds values, or only labelled entries"))
        XCTAssertTrue(lines("[a: 1]").contains("a labelled list ([name: values, ...]) is read only where a verb takes one"))
        XCTAssertTrue(lines("scan(\"notebooks-txt/templates/hnn-scan.txt\", grid: [1, 2], out: \"/tmp/x\")").contains("grid: is a labelled list"))
        XCTAssertTrue(lines("scan(\"notebooks-txt/templates/hnn-scan.txt\", grid: [lr: [x + 1]], out: \"/tmp/x\")").contains("a grid value is a number or a plain word"))
        XCTAssertTrue(lines("scan(\"notebooks-txt/templates/hnn-scan.txt\", grid: [lr: [1], hidden: [2], seed: [0]], out: \"/tmp/x\", mem: \"lots\", on: slurm)").contains("'mem:' is a size in quotes"))
    }

    /// A scan folder written by hand: the table's means, sample deviations, order, failures, CSV.
    func testResultsAverageOverTheSeedAndSortByAMetric() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("noether-results-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = try plan([("lr", ["1e-3", "1e-2"]), ("seed", ["0", "1", "2"])])
        try p.prepare(out: out)
        let loss: [Double?] = [4, 6, 8, 1, 2, nil]   // lr=1e-2, seed=2 failed
        for (c, value) in zip(p.configurations, loss) {
            let m = ScanMetrics(index: c.index, name: c.name, configuration: c.values, metrics: [.init(name: "loss", value: value ?? 0)],
                                wallTimeSeconds: 1, peakMemoryBytes: 1, exitStatus: value == nil ? 1 : 0, failedStatements: value == nil ? 1 : 0,
                                firstError: value == nil ? "error: diverged" : nil, host: "h")
            let dir = (out as NSString).appendingPathComponent(c.name)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try JSONEncoder().encode(m).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("metrics.json")))
        }
        let r = try ResultsValue.read(out: out, over: nil, by: nil)
        XCTAssertEqual(r.over, "seed")
        XCTAssertEqual(r.rows.map { $0.key[0][1] }, ["1e-2", "1e-3"])           // sorted by the mean loss
        XCTAssertEqual(r.rows[0].mean("loss"), 1.5)
        XCTAssertEqual(r.rows[0].std("loss")!, (0.5).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(r.rows[1].mean("loss"), 6)
        XCTAssertEqual(r.rows[1].std("loss"), 2)                                   // sample deviation (n − 1)
        XCTAssertEqual(r.rows[0].failed, 1)
        XCTAssertTrue(r.display.contains("6 runs, 5 finished, 1 failed, 0 not run or cut off"), r.display)
        XCTAssertTrue(r.display.contains("2 of 3"), r.display)
        let csv = (out as NSString).appendingPathComponent("t.csv")
        _ = try r.save(to: csv)
        XCTAssertEqual(try String(contentsOfFile: csv, encoding: .utf8).components(separatedBy: "\n")[1], "1e-2,3,1,1.5,0.70710678118654757")
        XCTAssertThrowsError(try ResultsValue.read(out: out, over: nil, by: "accuracy"))
        // A heat map needs two parameters with two values each (gnuplot's image draws nothing else).
        XCTAssertThrowsError(try r.heatMap(to: out + "/h.png", x: "lr", y: "seed", value: "loss")) { XCTAssertTrue("\($0)".contains("no parameter 'seed'"), "\($0)") }
        let bySeed = try ResultsValue.read(out: out, over: "lr", by: nil)
        XCTAssertThrowsError(try bySeed.heatMap(to: out + "/h.png", x: "seed", y: "seed", value: "loss")) { XCTAssertTrue("\($0)".contains("the same parameter"), "\($0)") }
        // A different grid into the same folder is refused; the same plan resumes.
        XCTAssertNoThrow(try p.prepare(out: out))
        XCTAssertThrowsError(try plan([("lr", ["1"]), ("seed", ["0"])]).prepare(out: out)) { XCTAssertTrue("\($0)".contains("holds a scan with a different grid")) }
    }

    func testSlurmScriptAndArrayRanges() throws {
        XCTAssertEqual(SlurmScan.ranges([0, 1, 2, 5, 7, 8]), "0-2,5,7-8")
        XCTAssertEqual(SlurmScan.ranges([3]), "3")
        var o = ScanOptions()
        o.backend = .slurm; o.cpus = 2; o.memory = "4G"; o.time = "1:00:00"; o.partition = "gpu"; o.throttle = 50
        let script = SlurmScan.script(indices: [0, 1, 2, 4], out: "/scans/ab", logs: "/scans/ab/logs", options: o)
        for line in ["#SBATCH --array=0-2,4%50", "#SBATCH --output=/scans/ab/logs/%A_%a.out", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=4G",
                     "#SBATCH --time=1:00:00", "#SBATCH --partition=gpu", "#SBATCH --requeue"] {
            XCTAssertTrue(script.contains(line + "\n"), line)
        }
        XCTAssertTrue(script.contains(" scan-task '/scans/ab' \"$SLURM_ARRAY_TASK_ID\"\n"))
    }

    /// OpenBLAS's kernel travels with a job only when the user chose it: one noether pinned for
    /// the submitting CPU (BLASKernel) is dropped, so each node chooses for its own CPU.
    func testSlurmScriptPassesOnOnlyTheUsersKernelChoice() {
        let saved = (getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }, getenv(BLASKernel.pinnedMarker).map { String(cString: $0) })
        defer {
            if let v = saved.0 { setenv("OPENBLAS_CORETYPE", v, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
            if let v = saved.1 { setenv(BLASKernel.pinnedMarker, v, 1) } else { unsetenv(BLASKernel.pinnedMarker) }
        }
        var o = ScanOptions()
        o.backend = .slurm
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        unsetenv(BLASKernel.pinnedMarker)
        XCTAssertTrue(SlurmScan.script(indices: [0], out: "/s", logs: "/s/l", options: o).contains("export OPENBLAS_CORETYPE=SkylakeX\n"))
        setenv("OPENBLAS_CORETYPE", "Haswell", 1)
        setenv(BLASKernel.pinnedMarker, "1", 1)
        let pinned = SlurmScan.script(indices: [0], out: "/s", logs: "/s/l", options: o)
        XCTAssertFalse(pinned.contains("export OPENBLAS_CORETYPE"))
        XCTAssertTrue(pinned.contains("unset OPENBLAS_CORETYPE \(BLASKernel.pinnedMarker)\n"))
    }
}
