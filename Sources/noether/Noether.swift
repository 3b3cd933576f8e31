import ArgumentParser
import Foundation
import Benchmarks
import Learn
import REPL
import Symbolic

@main
struct Noether: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noether",
        abstract: "A workbench for Hamiltonian mechanics: exact brackets, conservation proofs, notebooks.",
        discussion: "Without a subcommand, starts the interactive REPL (type 'help').",
        subcommands: [RunNotebook.self, CheckNotebooks.self, ConvertCommand.self, KernelCommand.self, ScanCommand.self, ScanTaskCommand.self, ResultsCommand.self, Bench.self])

    // Unconditional: a statement may start with '-' (noether -e '-2^2'), which would otherwise
    // be taken for an option and leave -e without its value.
    @Option(name: .customShort("e"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Evaluate statements (separated by newlines or ';') and print each result; repeat -e for more, in one session.", valueName: "statements"))
    var statements: [String] = []

    @OptionGroup var limits: StatementLimits

    /// OpenBLAS's Haswell kernels first (`BLASKernel`): the same digits as the tests and the
    /// checked notebooks on every AVX2 machine, and no fallback to OpenBLAS's SSE3 kernels on
    /// CPUs it does not know.
    static func main() {
        BLASKernel.pinByRunningAgain()
        main(nil)
    }

    func run() throws {
        let interpreter = Interpreter(timeout: limits.timeout)
        if !statements.isEmpty {
            let statements = self.statements.joined(separator: "\n")
            var failed = false
            for outcome in interpreter.execute(statements) {
                outcome.lines.forEach { print($0) }
                failed = failed || outcome.failed
            }
            if failed { throw ExitCode(1) }
            return
        }
        var reader = LineReader()
        if reader.interactive { print("Noether — type 'help' for the language, Ctrl-D to leave, Ctrl-C to interrupt.") }
        // Ctrl-C stops the running statement (the session stays), never the REPL.
        LineReader.installInterruptHandler()
        readEvalPrintLoop(interpreter, &reader) { print($0) }
    }
}

/// `--timeout SECONDS`: each statement's time limit, shared by -e, run and check.
struct StatementLimits: ParsableArguments {
    @Option(help: ArgumentHelp("Stop any statement that runs longer than this many seconds; the session continues with the next.", valueName: "seconds"))
    var timeout: Double?

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 1e9) {
            throw ValidationError("--timeout takes a number of seconds greater than 0 (at most 1e9), not \(timeout)")
        }
    }
}

struct RunNotebook: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Execute a notebook and print its transcript.")

    @Argument(help: "The notebook file (notebooks-txt/*.txt).") var file: String
    @OptionGroup var limits: StatementLimits

    /// Prints the whole transcript, then fails (exit 1) when a statement failed that the
    /// notebook does not show failing (an `error:` line in its recorded output documents an
    /// error on purpose), so scripts and CI see the failure.
    func run() throws {
        let notebook = Notebook(text: try readNotebook(file))
        let outcomes = notebook.execute(timeout: limits.timeout)
        print(notebook.transcript(outcomes.map { $0.flatMap(\.lines) }), terminator: "")
        let failed = notebook.unexpectedFailures(outcomes)
        if failed > 0 {
            FileHandle.standardError.write(Data("\(failed) statement\(failed == 1 ? "" : "s") of \(file) failed (where the notebook shows no error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct CheckNotebooks: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Re-run notebooks; fail with a diff when any output differs.")

    @Argument(help: "Notebook files.") var files: [String]
    @OptionGroup var limits: StatementLimits

    /// Checks every file, even after one that cannot be read (reported as a failure).
    func run() throws {
        var failures = 0, unreadable = 0
        for file in files {
            let text: String
            do { text = try readNotebook(file) } catch {
                failures += 1
                unreadable += 1
                print("FAIL  \(file): \(error)")
                continue
            }
            let notebook = Notebook(text: text)
            let report = notebook.differences(notebook.run(timeout: limits.timeout), file: file)
            if report.isEmpty {
                print("ok    \(file) (\(notebook.cells.count) inputs)")
            } else {
                failures += 1
                print("FAIL  \(file)")
                report.forEach { print($0) }
            }
        }
        if failures > 0 {
            print("\(failures) of \(files.count) notebooks " + (unreadable > 0 ? "failed (\(unreadable) cannot be read)" : "differ"))
            throw ExitCode(1)
        }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks of the hot paths (release builds only give meaningful figures).")

    @Argument(help: "Which benchmark: symbolic, compile, integrate, hnn-step, scnn-step, flow-step, nct-step, sympnet-step, lnn-step, maml-step, lj-md or fit.") var suite: String
    @Option(help: "Trajectories for the integrate benchmark.") var trajectories: Int = 1000
    @Option(help: "Batch size for the hnn-step (default 4096), scnn-step (1024), flow-step (256 trajectories), nct-step (200), sympnet-step and lnn-step (1024) benchmarks; tasks for maml-step (10).") var batch: Int?
    @Option(help: "Timed runs per suite (the median is printed).") var runs: Int = 21
    @Option(help: "For the symbolic benchmark: only these suites (kepler3d, neumann3, calogero3), comma-separated.") var only: String?
    @Option(help: "Timed steps for the hnn-step (default 20), scnn-step (10), flow-step (50), nct-step (50), sympnet-step and lnn-step (50), maml-step (20) and lj-md (2000) benchmarks, after warm-up steps.") var steps: Int?

    func run() throws {
        switch suite {
        case "symbolic":
            for line in try SymbolicBenchmark.run(runs: runs, only: only.map { $0.split(separator: ",").map(String.init) }) { print(line) }
        case "compile":
            for line in try CompileBenchmark.run() { print(line) }
        case "fit":
            for line in try FitBenchmark.run(runs: min(runs, 7)) { print(line) }
        case "scnn-step":
            for line in try SCNNStepBenchmark.run(batch: max(1, batch ?? 1024), steps: max(1, steps ?? 10)) { print(line) }
        case "flow-step":
            for line in try FlowStepBenchmark.run(batch: max(1, batch ?? 256), steps: max(1, steps ?? 50)) { print(line) }
        case "nct-step":
            for line in try NCTStepBenchmark.run(batch: max(1, batch ?? 200), steps: max(1, steps ?? 50)) { print(line) }
        case "lj-md":
            for line in try LJStepBenchmark.run(steps: max(1, steps ?? 2000)) { print(line) }
        case "lnn-step":
            for line in try LNNStepBenchmark.run(batch: max(1, batch ?? 1024), steps: max(1, steps ?? 50)) { print(line) }
        case "maml-step":
            for line in try MAMLStepBenchmark.run(tasks: max(1, batch ?? 10), steps: max(1, steps ?? 20)) { print(line) }
        case "sympnet-step":
            for line in try SympNetStepBenchmark.run(batch: max(1, batch ?? 1024), steps: max(1, steps ?? 50)) { print(line) }
        case "hnn-step":
            for line in HNNStepBenchmark.run(batch: max(1, batch ?? 4096), steps: max(1, steps ?? 20)) { print(line) }
        case "integrate":
            for line in try IntegrationBenchmark.run(trajectories: trajectories) { print(line) }
        default:
            throw CommandFailure(description: "unknown benchmark '\(suite)' (available: symbolic, compile, integrate, hnn-step, scnn-step, flow-step, nct-step, sympnet-step, lnn-step, maml-step, lj-md, fit)")
        }
    }
}

/// `noether scan TEMPLATE --grid alpha1=1e-3,1e-2 --grid seed=0,1,2 --out DIR --on local|slurm`.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan", abstract: "Run a notebook template over a grid of parameters (${name} in the template), locally or as a Slurm job array; resumable.",
        discussion: "Each configuration runs in its own folder of --out (notebook.txt, transcript.txt, metrics.json with what record(name, value) declared, whatever the notebook saved). Running the same scan again keeps the finished configurations and reruns the others. 'noether results DIR' prints the table.")

    @Argument(help: "The notebook template.") var template: String
    @Option(name: .customLong("grid"), help: ArgumentHelp("A parameter and its values, as alpha1=1e-3,1e-2,1e-1; repeat for each parameter.", valueName: "name=v1,v2,..."))
    var grid: [String] = []
    @Option(help: "The folder of results.") var out: String
    @Option(help: "local (this machine's cores) or slurm (a job array).") var on: String = "local"
    @Option(help: "on local: configurations at once (default: the number of cores).") var jobs: Int?
    @Option(help: "on slurm: cores per array task.") var cpus: Int = 1
    @Option(help: "on slurm: memory per array task (sbatch --mem, as 4G).") var mem: String?
    @Option(help: "on slurm: time limit per array task (sbatch --time, as 1:00:00).") var time: String?
    @Option(help: "on slurm: the partition.") var partition: String?
    @Option(help: "on slurm: the most array tasks running at once (%N).") var throttle: Int?
    @Flag(name: .customLong("no-submit"), help: "on slurm: only write DIR/scan.sbatch.") var noSubmit = false
    @OptionGroup var limits: StatementLimits

    func run() throws {
        var parameters: [ScanPlan.Parameter] = []
        for entry in grid {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else { throw CommandFailure(description: "--grid takes name=v1,v2,... (got '\(entry)')") }
            parameters.append(.init(name: String(parts[0]), values: parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
        guard let backend = ScanOptions.Backend(rawValue: on) else { throw CommandFailure(description: "--on is local or slurm, not '\(on)'") }
        var options = ScanOptions()
        options.backend = backend
        if let jobs { guard jobs >= 1 else { throw CommandFailure(description: "--jobs is at least 1") }; options.jobs = jobs }
        options.cpus = max(1, cpus)
        options.memory = mem; options.time = time; options.partition = partition; options.throttle = throttle
        options.submit = !noSubmit
        options.timeout = limits.timeout
        let plan: ScanPlan
        do { plan = try ScanPlan(template: template, text: try readNotebook(template), grid: parameters) } catch let f as CommandFailure { throw f } catch {
            throw CommandFailure(description: "\(error)")
        }
        Interrupt.installSignalHandler()
        Interrupt.beginStatement()
        let outcome: ScanOutcome
        do { outcome = try ScanDriver.run(plan, out: out, options: options, progress: ScanProgress.printer()) } catch {
            FileHandle.standardError.write(Data("\n".utf8))
            throw CommandFailure(description: "\(error)")
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print(outcome.summary)
        if !outcome.failed.isEmpty { throw ExitCode(1) }
    }
}

/// One configuration of a scan (what the local pool and each Slurm array task run).
struct ScanTaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan-task", abstract: "Run one configuration of a scan (used by noether scan and its Slurm array tasks).")
    @Argument(help: "The scan's out folder.") var out: String
    @Argument(help: "The configuration's index (SLURM_ARRAY_TASK_ID).") var index: Int
    @OptionGroup var limits: StatementLimits

    func run() throws {
        let status: Int32
        do { status = try ScanTask.run(out: out, index: index, timeout: limits.timeout) } catch {
            throw CommandFailure(description: "\(error)")
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// `noether results DIR [--by metric] [--over seed] [--csv FILE]`.
struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "results", abstract: "Print a scan's results table (mean +- std over the seed), or write it as CSV.")
    @Argument(help: "The scan's out folder.") var out: String
    @Option(help: "The metric to sort by.") var by: String?
    @Option(help: "The parameter to average over (default: seed, when the grid has one).") var over: String?
    @Option(help: "Also write the table to this CSV file.") var csv: String?

    func run() throws {
        do {
            for line in try ScanProgress.results(out: out, over: over, by: by, csv: csv) { print(line) }
        } catch { throw CommandFailure(description: "\(error)") }
    }
}

/// A failure to report in one line, without the usage banner.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

func readNotebook(_ path: String) throws -> String {
    do { return try Notebook.text(ofFile: path) } catch {
        throw CommandFailure(description: "\(error)")
    }
}
