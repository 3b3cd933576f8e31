import ArgumentParser
import Foundation
import REPL

@main
struct Noether: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noether",
        abstract: "A workbench for Hamiltonian mechanics: exact brackets, conservation proofs, notebooks.",
        discussion: "Without a subcommand, starts the interactive REPL (type 'help').",
        subcommands: [RunNotebook.self, CheckNotebooks.self, Bench.self])

    @Option(name: .customShort("e"), help: ArgumentHelp("Evaluate statements (separated by newlines or ';') and print each result; repeat -e for more, in one session.", valueName: "statements"))
    var statements: [String] = []

    func run() throws {
        let interpreter = Interpreter()
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
        let reader = LineReader()
        if reader.interactive { print("Noether — type 'help' for the language, Ctrl-D to leave.") }
        while let line = reader.next(prompt: "> ") {
            for outcome in interpreter.execute(line) { outcome.lines.forEach { print($0) } }
        }
    }
}

struct RunNotebook: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Execute a notebook and print its transcript.")

    @Argument(help: "The notebook file (notebooks-txt/*.txt).") var file: String

    func run() throws {
        let notebook = Notebook(text: try readNotebook(file))
        print(notebook.transcript(notebook.run()), terminator: "")
    }
}

struct CheckNotebooks: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Re-run notebooks; fail with a diff when any output differs.")

    @Argument(help: "Notebook files.") var files: [String]

    func run() throws {
        var failures = 0
        for file in files {
            let notebook = Notebook(text: try readNotebook(file))
            let report = notebook.differences(notebook.run(), file: file)
            if report.isEmpty {
                print("ok    \(file) (\(notebook.cells.count) inputs)")
            } else {
                failures += 1
                print("FAIL  \(file)")
                report.forEach { print($0) }
            }
        }
        if failures > 0 {
            print("\(failures) of \(files.count) notebooks differ")
            throw ExitCode(1)
        }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks of the hot paths (release builds only give meaningful figures).")

    @Argument(help: "Which benchmark: symbolic, compile, integrate, hnn-step or fit.") var suite: String
    @Option(help: "Trajectories for the integrate benchmark.") var trajectories: Int = 1000
    @Option(help: "Batch size for the hnn-step benchmark.") var batch: Int = 4096
    @Option(help: "Timed runs per suite (the median is printed).") var runs: Int = 21
    @Option(help: "Timed steps for the hnn-step benchmark (after two warm-up steps).") var steps: Int = 20

    func run() throws {
        switch suite {
        case "symbolic":
            for line in try SymbolicBenchmark.run(runs: runs) { print(line) }
        case "compile":
            for line in try CompileBenchmark.run() { print(line) }
        case "fit":
            for line in try FitBenchmark.run(runs: min(runs, 7)) { print(line) }
        case "hnn-step":
            for line in HNNStepBenchmark.run(batch: batch, steps: max(1, steps)) { print(line) }
        case "integrate":
            for line in try IntegrationBenchmark.run(trajectories: trajectories) { print(line) }
        default:
            throw CommandFailure(description: "unknown benchmark '\(suite)' (available: symbolic, compile, integrate, hnn-step, fit)")
        }
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
