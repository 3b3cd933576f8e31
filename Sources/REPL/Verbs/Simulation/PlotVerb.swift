import Learn
import Symbolic
import Dynamics

/// `plot(f, traj, "f.png")` (f over time), `plot(traj, "phase.png")` (the first pair's phase
/// portrait), several expressions as a list `plot([H, L], traj, ...)`; `log: 1` for a
/// logarithmic y axis (drifts); `plot(fit, "degrees.png")` for a fit's error by degree.
enum PlotVerb: Verb {
    static let signature = Signature(
        name: "plot", family: .simulation, usage: "plot(f, trajectory, \"f.png\")   or   plot(trajectory, \"phase.png\")",
        summary: "a PNG figure (gnuplot): f (or a list of expressions) over time, log: 1 for the relative deviation on a log scale, the phase portrait of the first pair, or plot(fit, \"degrees.png\") for a fit's error-by-degree table",
        example: "plot(H, simulate(x0: [1, 0, 0, 0, 1, 0], t: 10, step: 0.01, method: rk4), \"/tmp/energy.png\")",
        positional: [.required("what", "a trajectory or a fit"), .required("trajectory or file", "a trajectory (from simulate)"),
                     .optional("file", "a file name in quotes")],
        options: [.init("log", .custom("true, false or a number (non-zero is true)"), defaultText: "false", "the relative deviation from the initial value, on a log scale"),
                  .init("plane", .whole(1...1000), default: 1, "plot(flow, data, \"f.png\"): the (q^_k, p^_k) plane drawn"),
                  .init("layers", .custom("true or false"), defaultText: "false", "plot(flow, data, \"f.png\", layers: true): the data after each block instead of the pull-backs"),
                  .init("modes", .custom("a list of two mode numbers"), defaultText: "[1, 2]", "plot(nct, data, \"latent.png\"): the latent coordinates drawn, modes numbered from the slowest"),
                  .init("color", .custom("label, or an expression of the data's coordinates"), defaultText: "none", "plot(nct, data, \"latent.png\"): colour by class label or by a value such as atan(q2/q1)"),
                  .init("walk", .whole(1...1_000_000), "plot(nct, images, \"walk.png\", walk: 1): test images walked along the k-th slowest latent coordinate"),
                  .init("against", .custom("a Hamiltonian"), defaultText: "none", "plot(nct, \"spectrum.png\", against: H): the learned frequencies beside H's normal-mode frequencies"),
                  .init("x", .custom("a scan parameter's name"), defaultText: "none", "plot(results(\"dir\"), \"map.png\", x: a, y: b, value: m): the heat map's horizontal parameter"),
                  .init("y", .custom("a scan parameter's name"), defaultText: "none", "the heat map's vertical parameter"),
                  .init("value", .custom("a recorded metric's name"), defaultText: "none", "the metric whose mean colours the heat map")])

    static func run(_ call: BoundCall) throws -> Value {
        let evaluation = call.evaluation, positional = call.positional
        guard case .string(let path, let pathAt) = positional.last! else {
            throw call.fail("plot needs a file name in quotes last, as in plot(H, traj, \"energy.png\")", at: call.location, width: 4)
        }
        let heatLabels = ["x", "y", "value"]
        if case .object(let r as ResultsValue) = try call.value(0) {
            guard call.count == 2 else { throw call.fail("plot(results(\"dir\"), \"map.png\", x: a, y: b, value: metric) takes the results and the file", at: call.location, width: 4) }
            func name(_ label: String) throws -> String {
                guard let s = call.option(label) else { throw call.fail("a heat map needs x:, y: and value: (\(label): is missing)", at: call.location, width: 4) }
                guard s.isName else { throw call.fail("'\(label):' is a plain name", at: s.location) }
                return s.nameText
            }
            for label in ["log", "plane", "layers", "modes", "color", "walk", "against"] where call.has(label) {
                throw call.fail("'\(label):' does not go with a heat map of scan results", at: call.location(of: label))
            }
            do { return .text(try r.heatMap(to: path, x: try name("x"), y: try name("y"), value: try name("value"))) } catch let d as Diagnostic { throw d } catch {
                throw call.fail("\(error)", at: pathAt)
            }
        }
        for label in heatLabels where call.has(label) {
            throw call.fail("'\(label):' goes with plot(results(\"dir\"), \"map.png\", x: a, y: b, value: metric)", at: call.location(of: label))
        }
        if case .object(let m as ModelValue) = try call.value(0) {
            if call.count == 2, let oscillators = m.model as? any OscillatorModel { return try spectrumPlot(oscillators, m, call, path: path, at: pathAt) }
            if call.has("against") { throw call.fail("'against:' goes with plot(nct, \"spectrum.png\", against: H)", at: call.location(of: "against")) }
            if let point = m.model as? any PointTransformationModel { return try latentPlot(point, m, call, path: path, at: pathAt) }
            for label in ["modes", "color", "walk"] where call.has(label) {
                throw call.fail("'\(label):' goes with plot(nct, data, \"latent.png\")", at: call.location(of: label))
            }
            return try flowPlot(m, call, path: path, at: pathAt)
        }
        for label in ["plane", "layers", "modes", "color", "walk", "against"] where call.has(label) {
            let usage = ["plane", "layers"].contains(label) ? "plot(flow, data, \"f.png\")" : label == "against" ? "plot(nct, \"spectrum.png\", against: H)" : "plot(nct, data, \"latent.png\")"
            throw call.fail("'\(label):' goes with \(usage)", at: call.location(of: label))
        }
        var logY = false
        if let s = call.option("log") {
            if case .bool(let b) = try evaluation.value(s) { logY = b } else { logY = try evaluation.numberOption(s, "log") != 0 }
        }
        let series: [Plot.Series], title: String, xlabel: String, ylabel: String
        let first = try call.value(0)
        if call.count == 2, let runs = particleRuns(first, call.positional[0]) {
            // Particle runs: the total energy per particle over time.
            series = runs.map { name, p in
                .init(title: name ?? p.run.potential.name, points: zip(p.run.times, p.run.total).map { ($0, $1 / Double(p.run.count)) }, style: "lines")
            }
            do { try Plot.write(series, to: path, title: "total energy per particle", xlabel: "t", ylabel: "E / N") } catch {
                throw call.fail("\(error)", at: pathAt)
            }
            return .text("wrote \(path)")
        }
        if call.count == 2 {
            let v = first
            if let f = v.object(FitValue.self) {
                // The degree table: held-out and training MSE against degree, log scale.
                guard let s = f.fit.selection else { throw call.fail("this fit has no degree table: fit with degree: [low, high]", at: positional[0].location) }
                series = [.init(title: "held-out MSE (\(s.scheme))", points: zip(s.degrees.map(Double.init), s.heldOutErrors).filter { $0.1 > 0 }, style: "linespoints"),
                          .init(title: "training MSE", points: zip(s.degrees.map(Double.init), s.trainingErrors).filter { $0.1 > 0 }, style: "linespoints")]
                do { try Plot.write(series, to: path, title: "fit of \(f.name): error by degree (chosen \(s.chosen))", xlabel: "degree", ylabel: "mean squared error", logY: true, integerX: true) } catch {
                    throw call.fail("\(error)", at: pathAt)
                }
                return .text("wrote \(path)")
            }
            let trajectories = try Self.trajectories(call, 0, value: first)
            let t = trajectories[0].value
            let n = t.names.count / 2
            series = trajectories.map { named, t in
                .init(title: named ?? t.method, points: (0..<t.trajectory.count).map { k in
                    let x = t.trajectory.state(k); return (x[x.startIndex], x[x.startIndex + n]) }, style: "lines")
            }
            (title, xlabel, ylabel) = ("phase portrait", t.names[0], t.names[n])
        } else {
            let trajectories = try Self.trajectories(call, 1)
            let t = trajectories[0].value
            let fs: [Expr]
            switch try call.value(0) {
            case .expr(let e): fs = [e]
            case .list(let items): fs = try items.map { item in
                guard case .expr(let e) = item else { throw call.fail("plot takes expressions", at: positional[0].location) }
                return e }
            default: throw call.fail("plot's first argument is an expression or a list of them", at: positional[0].location)
            }
            series = try trajectories.flatMap { named, t in try fs.map { f in
                let values: [Double]
                do { values = try t.values(of: f) } catch { throw call.fail("\(error)", at: positional[0].location) }
                // On a log axis exact zeros (t = 0) have no place.
                let points = logY ? zip(t.trajectory.times, Drift(values).deviations).filter { $0.1 > 0 } : Array(zip(t.trajectory.times, values))
                let label = positional[0].isName ? positional[0].nameText : "\(f)"
                let text = logY ? "|\(label)(t) - \(label)(0)| / |\(label)(0)|" : label
                return Plot.Series(title: named.map { trajectories.count > 1 ? "\($0): \(text)" : text } ?? text, points: points, style: "lines")
            } }
            let method = trajectories.count > 1 ? "\(trajectories.count) trajectories" : t.method
            (title, xlabel, ylabel) = (logY ? "deviation from the initial value (\(method))" : "along the trajectory (\(method))", "t", logY ? "relative deviation" : "value")
        }
        do { try Plot.write(series, to: path, title: title, xlabel: xlabel, ylabel: ylabel, logY: logY) } catch {
            throw call.fail("\(error)", at: pathAt)
        }
        return .text("wrote \(path)")
    }

    /// The names of a list's items as written (`[rv, rh]`), nil for an item that is not a name
    /// or when the list is not written out here.
    static func writtenNames(_ syntax: Syntax, count: Int) -> [String?] {
        if case .list(let written, _) = syntax, written.count == count { return written.map { $0.isName ? $0.nameText : nil } }
        return Array(repeating: nil, count: count)
    }

    /// The particle run at argument 0 or a list of them, each named as written; nil when it is
    /// something else.
    static func particleRuns(_ value: Value, _ syntax: Syntax) -> [(name: String?, value: ParticlesValue)]? {
        switch value {
        case .object(let p as ParticlesValue): return [(nil, p)]
        case .list(let items) where !items.isEmpty && items.allSatisfy({ $0.object(ParticlesValue.self) != nil }):
            let names = PlotVerb.writtenNames(syntax, count: items.count)
            return items.enumerated().map { (names[$0] ?? "run \($0 + 1)", $1.object(ParticlesValue.self)!) }
        default: return nil
        }
    }

    /// The trajectory at argument `index`, or a list of them (several curves in one figure),
    /// each named as written in the list (nil for a trajectory not written as a name).
    static func trajectories(_ call: BoundCall, _ index: Int, value: Value? = nil) throws -> [(name: String?, value: TrajectoryValue)] {
        let syntax = call.positional[index]
        let v = try value ?? call.value(index)
        if let t = v.object(TrajectoryValue.self) { return [(nil, t)] }
        guard case .list(let items) = v, !items.isEmpty else {
            throw call.fail("\(call.name) needs a trajectory, a list of trajectories\(call.name == "plot" ? " or a fit" : "") here, but this is \(v.kindName)", at: syntax.location)
        }
        let names = PlotVerb.writtenNames(syntax, count: items.count)
        return try items.enumerated().map { k, item in
            guard let t = item.object(TrajectoryValue.self) else {
                throw call.fail("\(call.name) takes a list of trajectories; item \(k + 1) is \(item.kindName)", at: syntax.location)
            }
            guard t.names == items[0].object(TrajectoryValue.self)!.names else {
                throw call.fail("the trajectories of one \(call.name) must have the same state; item \(k + 1) is (\(t.names.joined(separator: ", ")))", at: syntax.location)
            }
            return (names[k] ?? "trajectory \(k + 1)", t)
        }
    }
}
