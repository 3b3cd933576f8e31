import Symbolic
import Dynamics
import Fit

/// `md(lennardjones, n: 256, density: 0.7, temperature: 1, step: 0.005, steps: 100000)`: a pair
/// fluid in a periodic box by velocity Verlet with a cell list; `md(pair, ...)` with a fitted
/// pair potential.
enum MolecularDynamics: Verb {
    static let signature = Signature(
        name: "md", family: .simulation, usage: "md(lennardjones, n: 256, density: 0.7, temperature: 1, step: 0.005, steps: 100000, every: 100)   or   md(pair, ...)",
        summary: "molecular dynamics of N particles of unit mass in a periodic square box: the catalog's lennardjones pair potential (its epsilon and sigma) or a fitted one (from fitpair), cut at cutoff and shifted to 0 there, velocity Verlet with a cell list (O(N) a step), from a square lattice with Gaussian velocities at the temperature (zero total momentum); keeps positions, forces and energies every k steps for rdf, fitpair and plot",
        example: "md(lennardjones, n: 64, density: 0.5, steps: 100, every: 10)",
        positional: [.required("potential", "lennardjones, or a pair potential from fitpair")],
        options: [
            .init("n", .whole(2...1_000_000), default: 256, "particles"),
            .init("density", .positive, default: 0.7, "particles per unit area (sigma = 1)"),
            .init("temperature", .custom("a number >= 0"), defaultText: "1", "the initial temperature (k_B = 1)"),
            .init("cutoff", .positive, default: 2.5, "the cut-off radius (lennardjones; a fitted potential keeps its own)"),
            .init("step", .positive, default: 0.005, "the time step"),
            .init("steps", .whole(1...100_000_000), default: 1000, "velocity-Verlet steps"),
            .init("every", .whole(1...100_000_000), default: 100, "keep a sample every k steps"),
            .init("seed", .whole(0...Int.max), default: 0, "the velocities' seed"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let potential: PairPotential, system: String
        if case .name(let name, _) = call.positional[0], name == "lennardjones" || name == "lj" {
            let lj = try Catalog.system("lennardjones")
            let values = lj.parameterValues()
            let cutoff = try call.number("cutoff")!
            potential = .lennardJones(epsilon: values["epsilon"] ?? 1, sigma: values["sigma"] ?? 1, cutoff: cutoff)
            system = "lennardjones"
        } else if let fitted = try call.value(0).object(PairPotentialValue.self) {
            if call.has("cutoff") { throw call.fail("a fitted pair potential keeps the cut-off it was fitted with", at: call.location(of: "cutoff")) }
            potential = fitted.potential
            system = "fitted pair potential"
        } else {
            throw call.fail("md takes lennardjones or a pair potential from fitpair", at: call.positional[0].location)
        }
        let temperature = try call.has("temperature") ? call.evaluation.numberOption(call.option("temperature")!, "temperature") : 1
        let steps = try call.whole("steps")!, every = try call.whole("every")!
        let n = try call.whole("n")!
        let samples = steps / every + 2
        // Positions and forces of every sample: 4 N doubles each.
        guard Double(samples) * Double(4 * n) * 8 <= 4e9 else {
            throw call.fail("keeping \(samples) samples of \(n) particles would take \(TextPrinter.format(Double(samples) * Double(4 * n) * 8 / 1e9, significantDigits: 3)) GB; keep fewer with a larger every:", at: call.location(of: "every"))
        }
        do {
            let run = try PairFluidRun.run(count: n, density: try call.number("density")!, temperature: temperature, potential: potential,
                                           step: try call.number("step")!, steps: steps, every: every, seed: UInt64(try call.whole("seed")!))
            return .object(ParticlesValue(run: run, system: system))
        } catch let e as ParticleError {
            throw call.fail(e.message)
        }
    }
}

/// `rdf(run, bins: 100, rmax: 4, file: "g.png")`: the radial distribution function g(r).
enum RadialDistribution: Verb {
    static let signature = Signature(
        name: "rdf", family: .simulation, usage: "rdf(run, bins: 100, rmax: 4, file: \"g.png\")   or   rdf([r1, r2], ...)",
        summary: "the radial distribution function g(r) of a particle run (from md), averaged over its samples from the given fraction of the run on (from: 0.5 skips the first half, for equilibration): its peaks, and with several runs each one's mean |g - g_first| over the bins; file: writes a PNG",
        example: "rdf(md(lennardjones, n: 64, density: 0.5, steps: 200, every: 20), bins: 40, rmax: 3)",
        positional: [.required("runs", "a particle run (from md) or a list of them")],
        options: [.init("bins", .whole(2...100_000), default: 100, "bins of [0, rmax)"),
                  .init("rmax", .positive, defaultText: "half the box", "the largest distance (at most half the box)"),
                  .init("from", .custom("a fraction from 0 to 1"), defaultText: "0.5", "the fraction of the run skipped before averaging"),
                  .init("file", .file, "a PNG of g(r)")])

    static func run(_ call: BoundCall) throws -> Value {
        let syntax = call.positional[0]
        let runs: [(name: String?, value: ParticlesValue)]
        switch try call.value(0) {
        case .object(let p as ParticlesValue): runs = [(syntax.isName ? syntax.nameText : nil, p)]
        case .list(let items):
            let names = PlotVerb.writtenNames(syntax, count: items.count)
            runs = try items.enumerated().map { k, item in
                guard let p = item.object(ParticlesValue.self) else { throw call.fail("rdf takes a list of particle runs; item \(k + 1) is \(item.kindName)", at: syntax.location) }
                return (names[k] ?? "run \(k + 1)", p)
            }
            guard !runs.isEmpty else { throw call.fail("rdf needs at least one particle run", at: syntax.location) }
        case let other: throw call.fail("rdf needs a particle run (from md) here, but this is \(other.kindName)", at: syntax.location)
        }
        let bins = try call.whole("bins")!
        let halfBox = runs.map { $0.value.run.box / 2 }.min()!
        let rmax = try call.number("rmax") ?? halfBox
        guard rmax <= halfBox + 1e-12 else {
            throw call.fail("rmax \(TextPrinter.format(rmax, significantDigits: 4)) is more than half the box (\(TextPrinter.format(halfBox, significantDigits: 4))), where minimum-image distances stop", at: call.location(of: "rmax"))
        }
        let from = try call.has("from") ? call.evaluation.numberOption(call.option("from")!, "from") : 0.5
        guard from >= 0, from < 1 else { throw call.fail("'from:' is a fraction from 0 to below 1", at: call.location(of: "from")) }
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 4) }
        var lines: [String] = [], curves: [(r: [Double], g: [Double])] = []
        for (k, (name, p)) in runs.enumerated() {
            let first = Int(Double(p.run.positions.count) * from)
            let pairs = Double(p.run.positions.count - first) * Double(p.run.count) * Double(p.run.count - 1) / 2
            guard pairs <= 2e10 else {
                throw call.fail("g(r) visits every pair of every sample: \(TextPrinter.format(pairs, significantDigits: 3)) pair distances here, minutes of work; average over fewer samples (a larger from:, or md with a larger every:)", at: call.has("from") ? call.location(of: "from") : syntax.location)
            }
            let (r, g) = try p.run.radialDistribution(bins: bins, rmax: rmax, first: first)
            curves.append((r, g))
            // Local maxima above 1, the first few.
            let peaks = (1..<(bins - 1)).filter { g[$0] > g[$0 - 1] && g[$0] >= g[$0 + 1] && g[$0] > 1.05 }.prefix(3)
            var text = "\(name.map { $0 + ": " } ?? "")g(r) over \(p.run.positions.count - first) samples, \(bins) bins to r = \(short(rmax)); peaks "
                + (peaks.isEmpty ? "none above 1.05" : peaks.map { "g(\(short(r[$0]))) = \(short(g[$0]))" }.joined(separator: ", "))
            if k > 0 {
                let difference = zip(curves[0].g, g).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(bins)
                text += "; mean |g - g(\(runs[0].name ?? "first"))| = \(TextPrinter.format(difference, significantDigits: 3))"
            }
            lines.append(text)
        }
        if let path = try call.file("file") {
            let series = zip(runs, curves).map { run, c in Plot.Series(title: run.name ?? run.value.run.potential.name, points: Array(zip(c.r, c.g)), style: "lines") }
            do { try Plot.write(series, to: path, title: "radial distribution function", xlabel: "r", ylabel: "g(r)") } catch {
                throw call.fail("\(error)", at: call.location(of: "file"))
            }
            lines.append("wrote \(path)")
        }
        return .text(lines.joined(separator: "\n"))
    }
}

/// `fitpair(run, powers: [12, 6])`: a pair potential Σ c_k r^-p_k fitted to a run's forces.
enum FitPair: Verb {
    static let signature = Signature(
        name: "fitpair", family: .fitting, usage: "fitpair(run, powers: [12, 10, 8, 6], samples: 20)",
        summary: "a pair potential V(r) = sum_k c_k r^-p_k learned from a particle run's forces: linear least squares of every particle's force on the chosen powers (the force of each term summed over the particle's neighbours within the cut-off), over the run's last samples; gives the coefficients with their standard errors and the force residual, and a potential for md",
        example: "fitpair(md(lennardjones, n: 64, density: 0.5, steps: 100, every: 10), powers: [12, 6])",
        positional: [.required("run", "a particle run (from md)")],
        options: [.init("powers", .numbers, defaultText: "[12, 10, 8, 6]", "the inverse powers of r, whole numbers from 1 to 24"),
                  .init("samples", .whole(1...100_000), default: 20, "how many of the run's last samples to fit")])

    static func run(_ call: BoundCall) throws -> Value {
        let p = try call.object(0, ParticlesValue.self)
        let given = try call.numbers("powers") ?? [12, 10, 8, 6]
        guard !given.isEmpty, given.allSatisfy({ $0 == $0.rounded() && $0 >= 1 && $0 <= 24 }), Set(given).count == given.count else {
            throw call.fail("'powers:' is a list of distinct whole numbers from 1 to 24", at: call.location(of: "powers"))
        }
        let powers = given.map { Int($0) }
        let run = p.run, m = powers.count
        let count = min(try call.whole("samples")!, run.positions.count)
        var design: [Double] = [], targets: [Double] = []
        for k in (run.positions.count - count)..<run.positions.count {
            design += run.forceBasis(sample: k, powers: powers, cutoff: run.potential.cutoff)
            targets += run.forces[k]
        }
        let rows = targets.count
        let solution: LeastSquaresSolution
        do { solution = try LeastSquares.solve(design: design, rows: rows, columns: m, targets: targets) } catch {
            throw call.fail("\(error)", at: call.positional[0].location)
        }
        let rms = (solution.residualSumOfSquares / Double(rows)).squareRoot()
        let scale = (targets.reduce(0) { $0 + $1 * $1 } / Double(rows)).squareRoot()
        let errors = (0..<m).map { solution.covariance[$0 * m + $0].squareRoot() }
        let potential = PairPotential(powers: powers, coefficients: solution.coefficients, cutoff: run.potential.cutoff, name: "fitted pair potential")
        let note = "fitted to \(rows) force components (\(count) samples of \(run.count) particles); standard errors "
            + errors.map { TextPrinter.format($0, significantDigits: 2) }.joined(separator: ", ")
            + "; rms force residual \(TextPrinter.format(rms, significantDigits: 3)) (forces rms \(TextPrinter.format(scale, significantDigits: 3)))"
            + (solution.effectiveRank < m ? "; the powers are not independent on these distances (rank \(solution.effectiveRank) of \(m))" : "")
        return .object(PairPotentialValue(potential: potential, note: note))
    }
}
