import Foundation
import Symbolic

/// `scan("template.txt", grid: [alpha1: [1e-3, 1e-2], seed: [0, 1, 2]], out: "scans/ab", on: local)`:
/// every configuration of the grid is one run of the filled template (`${alpha1}` replaced by
/// its value) in its own folder of `out`, on this machine's cores or as a Slurm job array.
enum ScanVerb: Verb {
    static let signature = Signature(
        name: "scan", family: .data, usage: "scan(\"template.txt\", grid: [name: [values], ...], out: \"dir\", on: local)",
        summary: "runs a notebook template over a grid of parameter values (${name} in the template), one folder per configuration (transcript, checkpoints, metrics.json with what record() declared), on local cores or as a Slurm job array; resumable: a scan again runs only what is missing or failed",
        example: "scan(\"notebooks-txt/templates/hnn-scan.txt\", grid: [lr: [1e-3, 1e-2], hidden: [8], seed: [0, 1]], out: \"/tmp/noether-example-scan\", on: slurm, submit: false)",
        positional: [.required("template", "a notebook file in quotes, naming its parameters as ${name}")],
        options: [
            .init("grid", .custom("a labelled list [name: [values], ...]"), defaultText: "required", "each template parameter's values; the scan runs every combination"),
            .init("out", .file, defaultText: "required", "the folder of results (made if missing; a scan into it again resumes)"),
            .init("on", .word(["local", "slurm"]), defaultText: "local", "where the runs go: this machine's cores, or a Slurm job array (sbatch, followed with squeue)"),
            .init("jobs", .whole(1...4096), defaultText: "the number of cores", "on: local: configurations run at once"),
            .init("cpus", .whole(1...4096), default: 1, "on: slurm: cores per array task (--cpus-per-task)"),
            .init("mem", .custom("a size in quotes, as \"4G\""), defaultText: "the partition's default", "on: slurm: memory per array task (--mem)"),
            .init("time", .custom("a limit in quotes, as \"1:00:00\""), defaultText: "the partition's default", "on: slurm: time limit per array task (--time)"),
            .init("partition", .custom("a partition's name, written plainly (partition: gpu)"), defaultText: "the cluster's default", "on: slurm: the partition (--partition)"),
            .init("throttle", .whole(1...100_000), defaultText: "none", "on: slurm: the most array tasks running at once (--array=...%N)"),
            .init("submit", .custom("true or false"), defaultText: "true", "on: slurm: false only writes OUT/scan.sbatch, for clusters where you submit by hand"),
            .init("timeout", .positive, defaultText: "none", "each statement's time limit in seconds, in every run"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        guard case .string(let template, let templateAt) = call.positional[0] else {
            throw call.fail("scan's first argument is the template's file name in quotes", at: call.positional[0].location)
        }
        guard let gridSyntax = call.option("grid") else { throw call.fail("scan needs grid: [name: [values], ...]") }
        guard let out = try call.file("out") else { throw call.fail("scan needs out: \"folder\" for its results") }
        let grid = try readGrid(gridSyntax, call)
        let text: String
        do { text = try Notebook.text(ofFile: template) } catch { throw call.fail("\(error)", at: templateAt) }
        let plan: ScanPlan
        do { plan = try ScanPlan(template: template, text: text, grid: grid) } catch { throw call.fail("\(error)", at: gridSyntax.location) }
        var options = ScanOptions()
        options.backend = try call.word("on") == "slurm" ? .slurm : .local
        if let jobs = try call.whole("jobs") { options.jobs = jobs }
        options.cpus = try call.whole("cpus") ?? 1
        options.memory = try quoted("mem", call, valid: { $0.range(of: #"^[0-9]+[KMGT]?$"#, options: .regularExpression) != nil })
        options.time = try quoted("time", call, valid: { $0.range(of: #"^([0-9]+-)?[0-9]+(:[0-9]+){0,2}$"#, options: .regularExpression) != nil })
        if let s = call.option("partition") {
            guard s.isName else { throw call.fail("'partition:' is a partition's name, written plainly (partition: gpu)", at: s.location) }
            options.partition = s.nameText
        }
        options.throttle = try call.whole("throttle")
        options.timeout = try call.number("timeout")
        if let s = call.option("submit") {
            guard case .bool(let b) = try call.evaluation.value(s) else { throw call.fail("submit: is true or false", at: s.location) }
            options.submit = b
        }
        if options.backend == .local {
            for label in ["cpus", "mem", "time", "partition", "throttle", "submit"] where call.has(label) {
                throw call.fail("'\(label):' goes with on: slurm", at: call.location(of: label))
            }
        } else if call.has("jobs") {
            throw call.fail("'jobs:' goes with on: local (on: slurm, throttle: limits the tasks running at once)", at: call.location(of: "jobs"))
        }
        let outcome: ScanOutcome
        do { outcome = try ScanDriver.run(plan, out: out, options: options, progress: progressPrinter()) } catch let stop as Interrupted {
            throw stop
        } catch { throw call.fail("\(error)", at: call.location(of: "out")) }
        return .text(outcome.summary)
    }

    /// `[alpha1: [1e-3, 1e-2], seed: [0, 1]]` → parameters with their values as written.
    static func readGrid(_ syntax: Syntax, _ call: BoundCall) throws -> [ScanPlan.Parameter] {
        if case .list(let items, let at) = syntax, items.isEmpty { throw call.fail("the grid is empty: give each template parameter a list of values, as in grid: [alpha1: [1e-3, 1e-2], seed: [0, 1]]", at: at) }
        guard case .record(let entries, _) = syntax else {
            throw call.fail("grid: is a labelled list of values, as in grid: [alpha1: [1e-3, 1e-2], seed: [0, 1]]", at: syntax.location)
        }
        return try entries.map { entry in
            let items: [Syntax]
            if case .list(let list, _) = entry.value { items = list } else { items = [entry.value] }
            return ScanPlan.Parameter(name: entry.label!, values: try items.map { try written($0, call) })
        }
    }

    /// A grid value as written: a number (1e-3 stays 1e-3), a negative number, or a word.
    static func written(_ s: Syntax, _ call: BoundCall) throws -> String {
        switch s {
        case .number(let text, _): return text
        case .negate(.number(let text, _), _): return "-" + text
        case .name(let word, _): return word
        case .string(let text, _): return text
        default: throw call.fail("a grid value is a number or a plain word", at: s.location)
        }
    }

    /// A Slurm size or time limit in quotes, in sbatch's own syntax (`valid` checks it).
    static func quoted(_ label: String, _ call: BoundCall, valid: (String) -> Bool) throws -> String? {
        guard let s = call.option(label) else { return nil }
        guard case .string(let text, _) = s, valid(text) else {
            throw call.fail("'\(label):' is \(call.signature.option(label)!.kind.description) (sbatch's --\(label) syntax)", at: s.location)
        }
        return text
    }

    /// Progress on standard error: one updating line on a terminal, else a line per change.
    static func progressPrinter() -> (String) -> Void {
        let terminal = isatty(2) == 1
        var last = ""
        return { line in
            guard line != last else { return }
            last = line
            if let live = LiveOutput.progress { return live(line) }
            FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
        }
    }
}

/// `results("scans/ab")`: the scan's table, mean ± std over the seed.
enum ResultsVerb: Verb {
    static let signature = Signature(
        name: "results", family: .data, usage: "results(\"dir\")   or   results(\"dir\", by: metric, over: seed)",
        summary: "a scan's results: one row per configuration, each recorded metric's mean +- std over the seeds, sorted by a metric; save(results(...), \"t.csv\") writes the table, plot(results(...), \"f.png\", x: a, y: b, value: metric) the heat map",
        example: "results(\"/tmp/noether-example-scan\")",
        positional: [.required("dir", "a scan's out folder in quotes")],
        options: [.init("by", .custom("a metric's name"), defaultText: "the first metric recorded", "the metric the rows are sorted by (ascending)"),
                  .init("over", .custom("a parameter's name"), defaultText: "seed, when the grid has one", "the parameter averaged over")])

    static func run(_ call: BoundCall) throws -> Value {
        guard case .string(let dir, let at) = call.positional[0] else { throw call.fail("results takes the scan's folder in quotes", at: call.positional[0].location) }
        func name(_ label: String) throws -> String? {
            guard let s = call.option(label) else { return nil }
            guard s.isName else { throw call.fail("'\(label):' is a plain name", at: s.location) }
            return s.nameText
        }
        do { return .object(try ResultsValue.read(out: dir, over: try name("over"), by: try name("by"))) } catch let d as Diagnostic { throw d } catch {
            throw call.fail("\(error)", at: at)
        }
    }
}

/// The command line's view of scans (`noether scan`, `noether results`).
public enum ScanProgress {
    public static func printer() -> (String) -> Void { ScanVerb.progressPrinter() }

    /// The results table's lines, after writing it to `csv` when given.
    public static func results(out: String, over: String?, by: String?, csv: String?) throws -> [String] {
        let r = try ResultsValue.read(out: out, over: over, by: by)
        var lines = r.display.components(separatedBy: "\n")
        if let csv { lines.append(try r.save(to: csv)) }
        return lines
    }
}
