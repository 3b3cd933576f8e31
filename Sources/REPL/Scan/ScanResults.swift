import Foundation
import Symbolic
import Dynamics

/// A scan's results: one row per configuration of the parameters other than `over` (the
/// seed), each metric's mean ± standard deviation over the runs that finished, sorted by a
/// metric. `save(results(...), "t.csv")` writes the table; `plot(results(...), "f.png", x:, y:,
/// value:)` draws a heat map of one metric's mean.
struct ResultsValue: SavableValue {
    struct Row {
        /// (parameter, value as written), the grid's order, without `over`.
        var key: [[String]]
        var runs: Int
        var failed: Int
        /// Metric → the values of the runs that finished.
        var samples: [String: [Double]]

        func mean(_ m: String) -> Double? {
            guard let v = samples[m], !v.isEmpty else { return nil }
            return v.reduce(0, +) / Double(v.count)
        }
        /// The sample standard deviation (n − 1); 0 for one run.
        func std(_ m: String) -> Double? {
            guard let v = samples[m], !v.isEmpty, let mu = mean(m) else { return nil }
            guard v.count > 1 else { return 0 }
            return (v.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(v.count - 1)).squareRoot()
        }
        func value(of parameter: String) -> String? { key.first { $0[0] == parameter }?[1] }
    }

    var out: String
    var plan: ScanPlan
    var over: String?
    var metrics: [String]
    var rows: [Row]
    var sortedBy: String?
    var finished: Int
    var missing: Int

    var kindName: String { "scan results" }

    var parameters: [String] { plan.grid.map(\.name).filter { $0 != over } }

    /// Reads every configuration's metrics in `out`.
    static func read(out: String, over: String?, by: String?) throws -> ResultsValue {
        let plan = try ScanPlan.read(out: out)
        let over = over ?? (plan.grid.contains { $0.name == "seed" } ? "seed" : nil)
        if let over, !plan.grid.contains(where: { $0.name == over }) {
            throw ScanPlan.Failure("the scan in \(out) has no parameter '\(over)' to average over (its grid: \(plan.gridText))")
        }
        var metrics: [String] = [], rows: [Row] = [], index: [[[String]]: Int] = [:]
        var finished = 0, missing = 0
        for c in plan.configurations {
            let key = c.values.filter { $0[0] != over }
            let k: Int
            if let existing = index[key] { k = existing } else {
                k = rows.count
                index[key] = k
                rows.append(Row(key: key, runs: 0, failed: 0, samples: [:]))
            }
            rows[k].runs += 1
            guard let m = ScanMetrics.read(out: out, c), m.isComplete else {
                rows[k].failed += 1
                if ScanMetrics.read(out: out, c) == nil { missing += 1 }
                continue
            }
            finished += 1
            for metric in m.metrics {
                if !metrics.contains(metric.name) { metrics.append(metric.name) }
                rows[k].samples[metric.name, default: []].append(metric.value)
            }
        }
        let sortKey = by ?? metrics.first
        if let by, !metrics.contains(by) {
            throw ScanPlan.Failure("no run in \(out) recorded '\(by)'" + (metrics.isEmpty ? " (none recorded any metric: the template declares them with record(name, value))" : "; the metrics: \(metrics.joined(separator: ", "))"))
        }
        if let key = sortKey {
            // Stable: rows without the metric go last, in grid order.
            rows = rows.enumerated().sorted { a, b in
                switch (a.element.mean(key), b.element.mean(key)) {
                case let (x?, y?): return x != y ? x < y : a.offset < b.offset
                case (.some, nil): return true
                case (nil, .some): return false
                default: return a.offset < b.offset
                }
            }.map(\.element)
        }
        return ResultsValue(out: out, plan: plan, over: over, metrics: metrics, rows: rows, sortedBy: sortKey, finished: finished, missing: missing)
    }

    static func short(_ x: Double) -> String { TextPrinter.format(x, significantDigits: 4) }

    var display: String { table.text }
    var html: String? { table.html }

    var table: TextTable {
        let total = plan.configurations.count
        var head = "results of \(out): \(total) runs, \(finished) finished"
        if total - finished > 0 { head += ", \(total - finished - missing) failed, \(missing) not run or cut off" }
        if let over { head += "; mean +- std over \(over)" }
        if let s = sortedBy { head += "; sorted by \(s)" }
        var table: [[String]] = []
        for r in rows {
            let runs = r.failed == 0 ? "\(r.runs)" : "\(r.runs - r.failed) of \(r.runs)"
            table.append(r.key.map { $0[1] } + [runs] + metrics.map { m in
                guard let mu = r.mean(m) else { return "-" }
                let sd = r.std(m) ?? 0
                return over == nil || r.samples[m]!.count < 2 ? ResultsValue.short(mu) : "\(ResultsValue.short(mu)) +- \(ResultsValue.short(sd))"
            })
        }
        return TextTable(above: [head], header: parameters + ["runs"] + metrics, rows: table)
    }

    func save(to path: String) throws -> String {
        guard path.hasSuffix(".csv") else { throw ScanPlan.Failure("scan results save as CSV: give a file name ending in .csv") }
        func repr(_ x: Double?) -> String { x.map { String(format: "%.17g", $0) } ?? "" }
        var lines = [(parameters + ["runs", "failed"] + metrics.flatMap { ["\($0)_mean", "\($0)_std"] }).joined(separator: ",")]
        for r in rows {
            lines.append((r.key.map { $0[1] } + [String(r.runs), String(r.failed)] + metrics.flatMap { [repr(r.mean($0)), repr(r.std($0))] }).joined(separator: ","))
        }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path)
        return "wrote \(rows.count) rows to \(path)"
    }

    /// The heat map of `value`'s mean over the x and y parameters (the other parameters, if
    /// any, must have one value each).
    func heatMap(to path: String, x: String, y: String, value: String) throws -> String {
        for p in [x, y] where !parameters.contains(p) {
            throw ScanPlan.Failure("the scan has no parameter '\(p)' to draw along (its parameters: \(parameters.joined(separator: ", ")))")
        }
        guard x != y else { throw ScanPlan.Failure("x: and y: name the same parameter '\(x)'") }
        guard metrics.contains(value) else {
            throw ScanPlan.Failure("no run recorded '\(value)'" + (metrics.isEmpty ? "" : " (the metrics: \(metrics.joined(separator: ", ")))"))
        }
        if let other = parameters.first(where: { p in p != x && p != y && (plan.grid.first { $0.name == p }?.values.count ?? 1) > 1 }) {
            throw ScanPlan.Failure("the heat map draws two parameters; '\(other)' has several values too (average over it with results(\"\(out)\", over: \(other)))")
        }
        let xs = plan.grid.first { $0.name == x }!.values, ys = plan.grid.first { $0.name == y }!.values
        for (p, values) in [(x, xs), (y, ys)] where values.count < 2 {
            throw ScanPlan.Failure("a heat map needs at least two values along each axis; '\(p)' has one (\(values[0])): print the table instead")
        }
        var cells: [(i: Int, j: Int, mean: Double?)] = []
        for (j, yv) in ys.enumerated() {
            for (i, xv) in xs.enumerated() {
                let row = rows.first { $0.value(of: x) == xv && $0.value(of: y) == yv }
                cells.append((i, j, row?.mean(value)))
            }
        }
        let title = "\(value)" + (over.map { ", mean over \($0)" } ?? "") + " (\(out))"
        try Plot.writeHeatMap(cells, xLabels: xs, yLabels: ys, to: path, title: title, xlabel: x, ylabel: y, valueLabel: value)
        return "wrote \(path)"
    }
}
