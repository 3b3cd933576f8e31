import Symbolic
import Dynamics

/// `histogram(f, [r1, r2, ...], "f.png", bins: 40)`: the distribution of f over the samples of
/// each trajectory, as densities on common bins, with each one's distance from the first's.
/// Long rollouts of a chaotic system cannot be compared state by state; their statistics can
/// (the tutorial's invariant measure on the energy shell), so the first trajectory is usually
/// the true system's and the others models' rollouts.
enum HistogramVerb: Verb {
    static let signature = Signature(
        name: "histogram", family: .simulation, usage: "histogram(f, [r1, r2, ...], \"f.png\", bins: 40)",
        summary: "the distribution of f over the samples of each trajectory, on common bins over the first one's range (or range: [low, high]), with the fraction outside it: mean, standard deviation and the total-variation distance of each from the first (0: the same histogram, 1: disjoint; 'outside' counts as a bin), and a PNG of the densities",
        example: "load harmonic; histogram(q, simulate(x0: [1, 0], t: 10, step: 0.01, method: rk4), \"/tmp/noether-q-histogram.png\")",
        positional: [.required("f", "an expression"), .required("trajectories", "a trajectory or a list of them"),
                     .optional("file", "a PNG file name in quotes")],
        options: [.init("bins", .whole(2...10_000), default: 40, "the number of bins"),
                  .init("range", .numbers, defaultText: "the first trajectory's range", "[low, high]: the binned interval; values outside it count as one more bin, 'outside'")])

    static func run(_ call: BoundCall) throws -> Value {
        let f = try call.expression(0)
        let trajectories = try PlotVerb.trajectories(call, 1)
        let bins = try call.whole("bins")!
        var samples: [[Double]] = []
        for (_, t) in trajectories {
            do { samples.append(try t.values(of: f)) } catch let e as CompilationError { throw call.fail(e.message, at: call.positional[0].location) }
        }
        let finite = samples.map { $0.filter(\.isFinite) }
        // The bins cover the reference's range (the first trajectory's), or the one given; a
        // constant reference (the truth's energy) gets 1e-3 of its size on each side.
        var lo: Double, hi: Double
        if let given = try call.numbers("range") {
            guard given.count == 2, given[0] < given[1], given.allSatisfy(\.isFinite) else {
                throw call.fail("'range:' is [low, high] with low < high", at: call.location(of: "range"))
            }
            (lo, hi) = (given[0], given[1])
        } else {
            guard let a = finite[0].min(), let b = finite[0].max() else {
                throw call.fail("f has no finite value on the first trajectory, whose range the bins cover; give range: [low, high]", at: call.positional[0].location)
            }
            (lo, hi) = (a, b)
            if hi - lo <= 1e-9 * max(abs(lo), abs(hi)) {
                let pad = max(1e-3 * max(abs(lo), abs(hi)), 1e-12)
                (lo, hi) = (lo - pad, hi + pad)
            }
        }
        let width = (hi - lo) / Double(bins)
        // counts[k]: the fraction of trajectory k's samples in each bin, then outside.
        let counts = samples.map { values -> [Double] in
            var c = [Double](repeating: 0, count: bins + 1)
            for v in values {
                if v.isFinite && v >= lo && v <= hi { c[min(bins - 1, Int((v - lo) / width))] += 1 } else { c[bins] += 1 }
            }
            return c.map { $0 / Double(max(1, values.count)) }
        }
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        let label = call.positional[0].isName ? call.positional[0].nameText : TextPrinter().print(f)
        var lines: [String] = []
        for (k, (name, _)) in trajectories.enumerated() {
            let values = finite[k], n = Double(max(1, values.count))
            let mean = values.reduce(0, +) / n
            let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            var text = "\(name.map { $0 + ": " } ?? "")\(label): mean \(short(mean)), std \(short(std)) over \(values.count) samples"
            if values.count < samples[k].count { text += " (\(samples[k].count - values.count) not finite, left out)" }
            if counts[k][bins] > 0 { text += "; \(short(100 * counts[k][bins])) % outside [\(short(lo)), \(short(hi))]" }
            if k > 0 {
                let tv = zip(counts[0], counts[k]).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
                text += "; total-variation distance from \(trajectories[0].name ?? "the first") \(short(tv))"
            }
            lines.append(text)
        }
        if call.count == 3 {
            guard case .string(let path, let pathAt) = call.positional[2] else { throw call.fail("the file name goes in quotes", at: call.positional[2].location) }
            let series = trajectories.enumerated().map { k, t in
                Plot.Series(title: t.name ?? t.value.method, points: (0..<bins).map { (lo + (Double($0) + 0.5) * width, counts[k][$0] / width) }, style: "histeps")
            }
            do { try Plot.write(series, to: path, title: "distribution of \(label) (\(bins) bins)", xlabel: label, ylabel: "density") } catch {
                throw call.fail("\(error)", at: pathAt)
            }
            lines.append("wrote \(path)")
        }
        return .text(lines.joined(separator: "\n"))
    }
}
