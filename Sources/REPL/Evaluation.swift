import Foundation
import Symbolic
import Dynamics
import Learn

/// Evaluates expression syntax to a `Value` in a session: names resolve to definitions,
/// calls to verbs or elementary functions. Errors point at the offending place.
struct Evaluation {
    let session: Session
    let source: String

    func fail(_ message: String, at location: SourceLocation, width: Int = 1) -> Diagnostic {
        Diagnostic(message, at: location, in: source, width: width)
    }

    func value(_ s: Syntax) throws -> Value {
        switch s {
        case .number(let text, let at):
            return .expr(try ExprBuilder.number(text, at: at, in: source))
        case .string(let text, _):
            return .text(text)
        case .name(let n, let at):
            if n == "true" { return .bool(true) }
            if n == "false" { return .bool(false) }
            if let e = session.definitions[n] { return .expr(e) }
            if let v = session.objects[n] { return v }
            if let v = Verbs.verbs.first(where: { $0.name == n }) {
                throw fail("'\(n)' is a verb; call it as \(v.usage)", at: at, width: n.count)
            }
            if Verbs.functions.contains(n) { throw fail("'\(n)' is a function; call it as \(n)(x)", at: at, width: n.count) }
            return .expr(ExprBuilder.atom(n))
        case .negate(let e, let at):
            return .expr(-(try expr(e, "'-'", at)))
        case .binary(let op, let l, let r, let at):
            if op == .equal || op == .notEqual {
                let (a, b) = (try expr(l, "'\(op.rawValue)'", at), try expr(r, "'\(op.rawValue)'", at))
                let decision = Simplifier.areEqual(a, b)
                return op == .equal ? .decision(decision) : .bool(!decision.isZero)
            }
            let (a, b) = (try expr(l, "'\(op.rawValue)'", at), try expr(r, "'\(op.rawValue)'", at))
            return .expr(try ExprBuilder.arithmetic(op, a, b, at: at, in: source))
        case .chain(let head, let steps):
            let operands = try steps.map { ($0.0, try expr($0.1, "'\($0.0.rawValue)'", $0.2), $0.2) }
            return .expr(try ExprBuilder.chain(try expr(head, "'\(steps[0].0.rawValue)'", steps[0].2), operands, in: source))
        case .call(let name, let args, let at):
            return try call(name, args, at)
        case .list(let items, _):
            return .list(try items.map(value))
        case .member(let base, let name, let arguments, let at):
            return try member(base, name, arguments, at)
        }
    }

    /// Evaluates to an expression, or says what `context` expected instead.
    func expr(_ s: Syntax, _ context: String, _ at: SourceLocation) throws -> Expr {
        let v = try value(s)
        guard case .expr(let e) = v else {
            throw fail("\(context) needs an expression, but this is \(v.kindName)", at: s.location)
        }
        // Every operand passes here, so a too-deep or non-finite intermediate (nested subs,
        // a comparison of two infinities) is refused before the next verb walks it.
        try Interpreter.checkBounds(e, s, source)
        return e
    }

    // MARK: Calls

    func call(_ name: String, _ args: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        if Verbs.functions.contains(name) {
            if let label = args.first(where: { $0.label != nil })?.label {
                throw fail("\(name) takes no labelled argument '\(label):'", at: at, width: name.count)
            }
            let values = try args.map { try expr($0.value, name, at) }
            return .expr(try ExprBuilder.function(name, values, at: at, in: source))
        }
        guard Verbs.verbNames.contains(name) else {
            var message = "unknown function '\(name)'"
            if let s = ExprBuilder.suggestion(for: name, among: Verbs.verbNames + Verbs.functions) { message += "; did you mean '\(s)'?" }
            throw fail(message, at: at, width: name.count)
        }
        let positional = args.filter { $0.label == nil }.map(\.value)
        let labelled = args.filter { $0.label != nil }
        func arity(_ allowed: ClosedRange<Int>, labels: Bool = false) throws {
            if !labels, let l = labelled.first {
                throw fail("\(name) takes no labelled argument '\(l.label!):'", at: l.value.location)
            }
            guard allowed.contains(positional.count) else {
                let expected = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
                let usage = Verbs.verbs.first { $0.name == name }!.usage
                throw fail("\(name) takes \(expected) argument\(allowed.upperBound == 1 ? "" : "s"), got \(positional.count) (usage: \(usage))", at: at, width: name.count)
            }
        }
        func arg(_ k: Int) throws -> Expr { try expr(positional[k], name, at) }

        switch name {
        case "bracket":
            try arity(2...2)
            try needPairs(at, name)
            return .expr(Simplifier.simplify(session.bracket(try arg(0), try arg(1))))
        case "conserved":
            try arity(1...32)
            try needPairs(at, name)
            guard let h = session.definitions["H"] else {
                throw fail("conserved needs a Hamiltonian: define H (H = ...) or load a system", at: at, width: name.count)
            }
            // Several quantities are decided in one context (H's gradient and conversions shared).
            let bracket = session.bracket
            let decisions = Simplifier.areZero(try positional.indices.map { bracket(try arg($0), h) })
            return decisions.count == 1 ? .decision(decisions[0]) : .list(decisions.map(Value.decision))
        case "diff":
            try arity(2...3)
            let e = try arg(0)
            let x = try symbol(positional[1], name)
            var times = 1
            if positional.count == 3 {
                guard let n = try arg(2).rationalValue?.intValue, n >= 0 else {
                    throw fail("the order of the derivative must be a non-negative integer", at: positional[2].location)
                }
                times = n
            }
            do { return .expr(try e.diff(x, times: times, maximumSize: 2_000_000)) } catch let limit as SizeLimitExceeded {
                throw fail(limit.description, at: at, width: name.count)
            }
        case "simplify":
            try arity(1...1)
            return .expr(Simplifier.simplify(try arg(0)))
        case "expand":
            try arity(1...1, labels: true)
            var limit = Expr.defaultExpansionLimit
            for l in labelled {
                guard l.label == "limit" else {
                    throw fail("expand has no option '\(l.label ?? ""):' (options: limit)", at: l.value.location)
                }
                limit = try wholeOption(l.value, "limit", in: 1...1_000_000_000_000)
            }
            do { return .expr(try arg(0).expand(maximumTerms: limit)) } catch let refused as SizeLimitExceeded {
                throw fail(refused.description, at: at, width: name.count)
            }
        case "latex":
            try arity(1...1)
            let e = try arg(0)
            // Shared subtrees print each time, as in the REPL's own output.
            guard e.size <= Value.largestPrintedSize else {
                throw fail("the expression has \(e.size == Int.max ? "more than 10^18" : String(e.size)) nodes as a tree, too many to print (the limit is \(Value.largestPrintedSize))", at: at, width: name.count)
            }
            return .text(LaTeXPrinter().print(e))
        case "subs":
            var map: [Expr: Expr] = [:]
            if labelled.isEmpty {
                try arity(3...3)
                map[.symbol(try symbol(positional[1], name))] = try arg(2)
            } else {
                try arity(1...1, labels: true)
                for l in labelled { map[.symbol(l.label!)] = try expr(l.value, name, at) }
            }
            let result = try arg(0).substitute(map)
            if result.isUndefined { throw fail(SubstitutionFailure.explain(try arg(0), map), at: at, width: name.count) }
            return .expr(result)
        case "eval":
            try arity(1...1, labels: true)
            var bindings = session.system?.parameterValues() ?? [:]
            for l in labelled { bindings[l.label!] = try numberOption(l.value, l.label!) }
            do {
                return .expr(.float(try arg(0).evaluate(bindings)))
            } catch let e as EvaluationError {
                throw fail(e.message, at: at, width: name.count)
            }
        case "vectorfield":
            try arity(0...1)
            try needPairs(at, name)
            let h: Expr
            if positional.isEmpty {
                guard let defined = session.definitions["H"] else {
                    throw fail("vectorfield() needs a Hamiltonian: define H or pass one, vectorfield(H)", at: at, width: name.count)
                }
                h = defined
            } else { h = try arg(0) }
            return .list(session.bracket.vectorField(h).map { .expr(Simplifier.simplify($0)) })
        case "simulate":
            try arity(0...0, labels: true)
            return try simulate(labelled, at)
        case "drift":
            try arity(2...2)
            let f = try arg(0)
            let t = try trajectoryArgument(positional[1], name)
            do {
                return .text(Drift(try t.values(of: f)).report)
            } catch let e as CompilationError {
                throw fail(e.message, at: positional[0].location)
            }
        case "dataset":
            try arity(1...1, labels: true)
            return try dataset(positional[0], labelled, at)
        case "save":
            try arity(2...2)
            guard case .string(let path, _) = positional[1] else { throw fail("save needs a file name in quotes, as in save(data, \"data.csv\")", at: positional[1].location) }
            let v = try value(positional[0])
            if case .model(let m) = v {
                do {
                    try Checkpoint.save(m.model, optimizer: m.optimizer, schedule: m.schedule, provenance: .init(system: m.system, names: m.names, parameters: m.parameters), to: path)
                } catch { throw fail("\(error)", at: positional[1].location) }
                return .text("wrote the \(m.model.kind) model and its optimizer state to \(path)")
            }
            guard case .dataset(let d, _) = v else { throw fail("save writes datasets and models; this is \(v.kindName)", at: positional[0].location) }
            do { try DatasetFile.write(d, to: path) } catch { throw fail("\(error)", at: positional[1].location) }
            return .text("wrote \(d.count) rows to \(path)")
        case "read":
            try arity(1...1)
            guard case .string(let path, _) = positional[0] else { throw fail("read needs a file name in quotes, as in read(\"data.csv\")", at: positional[0].location) }
            do {
                // One read (which refuses FIFOs, devices and directories), then the kind from the bytes.
                let bytes = try RegularFile.read(path)
                guard !bytes.isEmpty else { throw FileError("'\(path)' is empty (0 bytes): neither a dataset nor a checkpoint") }
                if Checkpoint.looksLikeCheckpoint(bytes) {
                    let c = try Checkpoint.decode(bytes, path: path)
                    guard let model = c.model as? any FieldModel else { throw FileError("'\(path)' holds a \(c.model.kind) model, which is not a vector field") }
                    return .model(ModelValue(model: model, optimizer: c.optimizer, schedule: c.schedule, report: nil, names: c.provenance.names,
                                             parameters: c.provenance.parameters, system: c.provenance.system, source: path))
                }
                guard DatasetFile.looksLikeDataset(bytes) else {
                    throw FileError("'\(path)' is neither a Noether dataset (its first line would be '# noether dataset 1') nor a checkpoint ('NOETHER-CHECKPOINT 3')")
                }
                return .dataset(try DatasetFile.decode(bytes, path: path), source: "read from \(path)")
            } catch { throw fail("\(error)", at: positional[0].location) }
        case "plot":
            return try plot(positional, labelled, at)
        case "liouville", "poincare":
            try arity(0...0, labels: true)
            return try phaseSpace(name, labelled, at)
        case "train", "resume":
            try arity(2...2, labels: true)
            return try trainModel(name, positional, labelled, at)
        case "evaluate":
            try arity(2...2, labels: true)
            guard case .model(let m) = try value(positional[0]) else { throw fail("evaluate needs a model (from train) first", at: positional[0].location) }
            guard case .dataset(let d, _) = try value(positional[1]) else { throw fail("evaluate needs a dataset second", at: positional[1].location) }
            return try evaluateModel(m, d, labelled, at, dataAt: positional[1].location)
        case "fit":
            try arity(2...2, labels: true)
            return try fitValue(positional, labelled, at)
        case "identify":
            try arity(2...2)
            return try identify(positional, at)
        case "rollout":
            try arity(1...1, labels: true)
            guard case .model(let m) = try value(positional[0]) else { throw fail("rollout needs a model (from train) first", at: positional[0].location) }
            return try rollout(m, labelled, at)
        case "last":
            try arity(1...1)
            let t = try trajectoryArgument(positional[0], name)
            return .list(t.trajectory.last.map { .expr(.float($0)) })
        default:
            throw fail("verb '\(name)' is not implemented", at: at, width: name.count)
        }
    }

    /// `dataset(SYSTEM, trajectories:, samples:, t:, seed:, test:, noise:, sampler:)`: the
    /// paper's recipe for the system, with any of its numbers overridden.
    func dataset(_ systemSyntax: Syntax, _ labelled: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        var catalogName: String, options: [String: Int] = [:]
        switch systemSyntax {
        case .name(let n, _): catalogName = n
        case .call(let n, let args, _):
            catalogName = n
            for a in args {
                guard let label = a.label, case .number(let text, _) = a.value, let v = Int(text) else {
                    throw fail("system options are labelled integers, as in oscillators(n: 4)", at: a.value.location)
                }
                options[label] = v
            }
        default: throw fail("dataset needs a catalog system name first, as in dataset(twobody, trajectories: 10)", at: systemSyntax.location)
        }
        let system: HamiltonianSystem
        do { system = try Catalog.system(catalogName, options: options) } catch {
            throw fail("\(error)", at: systemSyntax.location)
        }
        if let (target, _) = Catalog.aliases[catalogName] { catalogName = target }
        var recipe = InitialConditions.recipe(for: catalogName)
        // A named paper recipe first, then the numbers given override it.
        if let s = labelled.first(where: { $0.label == "sampler" }) {
            guard case .name(let sampler, _) = s.value else { throw fail("sampler is a name such as scnn, songjeong or bondesan", at: s.value.location) }
            do { recipe = try InitialConditions.recipe(for: catalogName, sampler: sampler) } catch { throw fail("\(error)", at: s.value.location) }
        }
        var seed: UInt64 = 0, radius = 3.0
        for l in labelled {
            func number() throws -> Double { try numberOption(l.value, l.label!) }
            switch l.label! {
            case "trajectories": recipe.trajectories = try wholeOption(l.value, "trajectories", in: 1...1_000_000)
            case "samples": recipe.samples = try wholeOption(l.value, "samples", in: 2...10_000_000)
            case "t": recipe.duration = try number()
            case "test": recipe.testFraction = try number()
            case "noise": recipe.noise = try number()
            case "seed": seed = UInt64(try wholeOption(l.value, "seed", in: 0...Int.max))
            case "sampler": break
            case "radius": radius = try number()
            default:
                throw fail("dataset has no option '\(l.label!):' (options: trajectories, samples, t, seed, test, noise, sampler, radius)", at: l.value.location)
            }
        }
        guard recipe.trajectories * recipe.samples <= Dataset.maximumRows else {
            throw fail("\(recipe.trajectories) x \(recipe.samples) samples is more than this session should hold; generate it in parts", at: at)
        }
        do {
            let data = try Dataset.generate(.init(system: system, catalogName: catalogName, recipe: recipe, seed: seed, radius: radius))
            return .dataset(data, source: "\(recipe.source), sampler \(recipe.sampler)")
        } catch {
            throw fail("\(error)", at: systemSyntax.location)
        }
    }

    /// `plot(f, traj, "f.png")` (f over time), `plot(traj, "phase.png")` (the first pair's
    /// phase portrait), several expressions as a list `plot([H, L], traj, ...)`; `log: 1` for a
    /// logarithmic y axis (drifts).
    func plot(_ positional: [Syntax], _ labelled: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        guard let last = positional.last, case .string(let path, let pathAt) = last else {
            throw fail("plot needs a file name in quotes last, as in plot(H, traj, \"energy.png\")", at: at, width: 4)
        }
        var logY = false
        for l in labelled {
            guard l.label == "log" else { throw fail("plot has no option '\(l.label!):' (options: log)", at: l.value.location) }
            logY = (try? expr(l.value, "plot", at).evaluate([:])) ?? 0 != 0
        }
        let series: [Plot.Series], title: String, xlabel: String, ylabel: String
        switch positional.count {
        case 2:
            let v = try value(positional[0])
            if case .fit(let f) = v {
                // The degree table: held-out and training MSE against degree, log scale.
                guard let s = f.fit.selection else { throw fail("this fit has no degree table: fit with degree: [low, high]", at: positional[0].location) }
                series = [.init(title: "held-out MSE (\(s.scheme))", points: zip(s.degrees.map(Double.init), s.heldOutErrors).filter { $0.1 > 0 }, style: "linespoints"),
                          .init(title: "training MSE", points: zip(s.degrees.map(Double.init), s.trainingErrors).filter { $0.1 > 0 }, style: "linespoints")]
                do { try Plot.write(series, to: path, title: "fit of \(f.name): error by degree (chosen \(s.chosen))", xlabel: "degree", ylabel: "mean squared error", logY: true, integerX: true) } catch {
                    throw fail("\(error)", at: pathAt)
                }
                return .text("wrote \(path)")
            }
            guard case .trajectory(let t) = v else { throw fail("plot needs a trajectory or a fit here, but this is \(v.kindName)", at: positional[0].location) }
            let n = t.names.count / 2
            series = [.init(title: t.method, points: (0..<t.trajectory.count).map { k in
                let x = t.trajectory.state(k); return (x[x.startIndex], x[x.startIndex + n]) }, style: "lines")]
            (title, xlabel, ylabel) = ("phase portrait", t.names[0], t.names[n])
        case 3:
            let t = try trajectoryArgument(positional[1], "plot")
            let fs: [Expr]
            switch try value(positional[0]) {
            case .expr(let e): fs = [e]
            case .list(let items): fs = try items.map { item in
                guard case .expr(let e) = item else { throw fail("plot takes expressions", at: positional[0].location) }
                return e }
            default: throw fail("plot's first argument is an expression or a list of them", at: positional[0].location)
            }
            series = try fs.map { f in
                let values: [Double]
                do { values = try t.values(of: f) } catch { throw fail("\(error)", at: positional[0].location) }
                // On a log axis exact zeros (t = 0) have no place.
                let points = logY ? zip(t.trajectory.times, Drift(values).deviations).filter { $0.1 > 0 } : Array(zip(t.trajectory.times, values))
                let label = positional[0].isName ? positional[0].nameText : "\(f)"
                return .init(title: logY ? "|\(label)(t) - \(label)(0)| / |\(label)(0)|" : label, points: points, style: "lines")
            }
            (title, xlabel, ylabel) = (logY ? "deviation from the initial value (\(t.method))" : "along the trajectory (\(t.method))", "t", logY ? "relative deviation" : "value")
        default:
            throw fail("plot takes (trajectory, file) or (f, trajectory, file)", at: at, width: 4)
        }
        do { try Plot.write(series, to: path, title: title, xlabel: xlabel, ylabel: ylabel, logY: logY) } catch {
            throw fail("\(error)", at: pathAt)
        }
        return .text("wrote \(path)")
    }

    /// `liouville(x0: [q, p], radius: r, points: n, t: T, step: h, method: M)` and
    /// `poincare(x0: [...], t: T, step: h, method: M, file: "section.png")`.
    func phaseSpace(_ verb: String, _ labelled: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        try needPairs(at, verb)
        guard let h = session.definitions["H"] else { throw fail("\(verb) needs a Hamiltonian: define H or load a system", at: at, width: verb.count) }
        var options: [String: Syntax] = [:]
        for l in labelled { options[l.label!] = l.value }
        let known: Set<String> = ["x0", "t", "step", "method", "radius", "points", "file"]
        for l in labelled where !known.contains(l.label!) {
            throw fail("\(verb) has no option '\(l.label!):' (options: \(known.sorted().joined(separator: ", ")))", at: l.value.location)
        }
        func positive(_ key: String, _ fallback: Double? = nil) throws -> Double {
            guard let s = options[key] else {
                if let fallback { return fallback }
                throw fail("\(verb) needs \(key):", at: at, width: verb.count)
            }
            return try positiveOption(s, key)
        }
        guard let x0Syntax = options["x0"], case .list(let items) = try value(x0Syntax) else {
            throw fail("\(verb) needs x0: [...]", at: at, width: verb.count)
        }
        let x0: [Double] = try items.map { item in
            guard case .expr(let e) = item, let v = try? e.evaluate([:]) else { throw fail("x0 must hold numbers", at: x0Syntax.location) }
            return v
        }
        let methodName = try options["method"].map { try wordOption($0, "method", allowed: FixedStepMethod.allCases.map(\.rawValue)) } ?? "gl4"
        guard let method = FixedStepMethod(rawValue: methodName) else {
            throw fail("\(verb) uses a fixed-step method (\(FixedStepMethod.allCases.map(\.rawValue).joined(separator: ", ")))", at: options["method"]?.location ?? at)
        }
        let parameters = session.system?.parameterValues() ?? [:]
        let step = try positive("step", 0.01), duration = try positive("t")
        let steps = try fixedStepCount(duration: duration, step: step, at: options["step"]?.location ?? options["t"]?.location ?? at)
        do {
            let field = try HamiltonianVectorField(hamiltonian: h, pairs: session.pairs, parameters: parameters, native: true)
            let integrator = FixedStepIntegrator(method, step: step)
            if verb == "liouville" {
                let points = try options["points"].map { try wholeOption($0, "points", in: 3...1_000_000) } ?? 256
                let r = try PhaseSpaceDiagnostics.liouville(field, integrator: integrator, center: x0, radius: try positive("radius", 0.1),
                                                            points: points, steps: steps)
                return .text("area \(TextPrinter.format(r.initialArea, significantDigits: 10)) -> \(TextPrinter.format(r.finalArea, significantDigits: 10)) "
                             + "(relative change \(TextPrinter.format(r.relativeChange, significantDigits: 3)), \(methodName), \(steps) steps)")
            }
            let points = try PhaseSpaceDiagnostics.poincareSection(field, integrator: integrator, from: x0, steps: steps)
            let names = session.pairs.map(\.q) + session.pairs.map(\.p)
            var text = "\(points.count) crossings of \(names[1]) = 0 with \(names[3]) > 0"
            if let lo = points.map(\.0).min(), let hi = points.map(\.0).max(), let plo = points.map(\.1).min(), let phi = points.map(\.1).max() {
                text += "; \(names[0]) in [\(TextPrinter.format(lo, significantDigits: 4)), \(TextPrinter.format(hi, significantDigits: 4))], "
                    + "\(names[2]) in [\(TextPrinter.format(plo, significantDigits: 4)), \(TextPrinter.format(phi, significantDigits: 4))]"
            }
            if let f = options["file"] {
                guard case .string(let path, _) = f else { throw fail("file is a name in quotes", at: f.location) }
                do {
                    try Plot.write([.init(title: methodName, points: points, style: "points")], to: path,
                                   title: "Poincare section \(names[1]) = 0, \(names[3]) > 0", xlabel: names[0], ylabel: names[2])
                } catch { throw fail("\(error)", at: f.location) }
                text += "; wrote \(path)"
            }
            return .text(text)
        } catch let e as IntegrationError {
            throw fail(e.description, at: at, width: verb.count)
        } catch let e as CompilationError {
            throw fail("H cannot be simulated: \(e.message)", at: at, width: verb.count)
        }
    }

    func trajectoryArgument(_ s: Syntax, _ verb: String) throws -> TrajectoryValue {
        let v = try value(s)
        guard case .trajectory(let t) = v else {
            throw fail("\(verb) needs a trajectory here (from simulate), but this is \(v.kindName)", at: s.location)
        }
        return t
    }

    /// `simulate(x0: [...], t: T, step: h, method: rk4, every: k)` or, adaptive,
    /// `simulate(x0: [...], t: T, samples: n, method: rk8pd, rtol: 1e-10, atol: 1e-10)`; other
    /// labels set parameters (`k: 1.5`). Uses the session's H and canonical pairs.
    ///
    /// A fixed-step method takes t/step equal steps, so t must be a whole number of steps (a
    /// shorter last step would break the one step size a symplectic method's long-time energy
    /// behaviour rests on); otherwise the error names the steps that fit. For an adaptive method
    /// `step:` is the first trial step (error control chooses the rest). Counts are bounded
    /// before anything runs: at most 1e8 steps, 1e7 samples, and `Trajectory.memoryLimit` bytes.
    func simulate(_ labelled: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        let name = "simulate"
        try needPairs(at, name)
        guard let h = session.definitions["H"] else {
            throw fail("simulate needs a Hamiltonian: define H or load a system", at: at, width: name.count)
        }
        var options: [String: Syntax] = [:]
        for l in labelled { options[l.label!] = l.value }
        let stateNames = session.pairs.map(\.q) + session.pairs.map(\.p)
        guard let x0Syntax = options["x0"] else {
            throw fail("simulate needs an initial state x0: [\(stateNames.joined(separator: ", "))]", at: at, width: name.count)
        }
        guard case .list(let items) = try value(x0Syntax) else { throw fail("x0 must be a list such as [1, 0]", at: x0Syntax.location) }
        let x0: [Double] = try items.map { item in
            guard case .expr(let e) = item, let v = try? e.evaluate([:]) else { throw fail("x0 must hold numbers", at: x0Syntax.location) }
            return v
        }
        guard x0.count == stateNames.count else {
            throw fail("x0 has \(x0.count) values; the state is (\(stateNames.joined(separator: ", "))): \(stateNames.count) values", at: x0Syntax.location)
        }
        guard let tSyntax = options["t"] else { throw fail("simulate needs a duration t: T (non-zero)", at: at, width: name.count) }
        let duration = try numberOption(tSyntax, "t")
        guard duration != 0 else { throw fail("'t:' is the duration, a number other than 0 (negative runs backwards)", at: tSyntax.location) }
        // Parameters: the loaded system's defaults, overridden by labels naming a symbol of H.
        let reserved: Set<String> = ["x0", "t", "step", "method", "every", "samples", "rtol", "atol"]
        let symbols = Set(h.freeSymbols)
        var given: [String: Double] = [:]
        for (key, s) in options where !reserved.contains(key) {
            guard symbols.contains(key), !stateNames.contains(key) else {
                throw fail("'\(key):' is neither an option of simulate (\(reserved.sorted().joined(separator: ", "))) nor a parameter of H", at: s.location)
            }
            given[key] = try numberOption(s, key)
        }
        let parameters = session.system?.parameterValues(overriding: given) ?? given
        if let missing = symbols.subtracting(stateNames).subtracting(parameters.keys).sorted().first {
            throw fail("H has a parameter '\(missing)' without a value: pass \(missing): VALUE", at: at, width: name.count)
        }
        let known = FixedStepMethod.allCases.map(\.rawValue) + AdaptiveMethod.allCases.map(\.rawValue)
        let methodName = try options["method"].map { try wordOption($0, "method", allowed: known) } ?? (options["step"] == nil ? "rk8pd" : "gl4")
        let step = try options["step"].map { try positiveOption($0, "step") }
        let field: HamiltonianVectorField
        do {
            field = try HamiltonianVectorField(hamiltonian: h, pairs: session.pairs, parameters: parameters, native: true)
        } catch let e as CompilationError {
            throw fail("H cannot be simulated: \(e.message)", at: at, width: name.count)
        }
        let trajectory: Trajectory
        do {
            if let method = FixedStepMethod(rawValue: methodName) {
                guard let step else {
                    throw fail("\(methodName) is a fixed-step method: give step: h (> 0)", at: options["method"]?.location ?? at)
                }
                if let s = options["samples"] { throw fail("'samples:' is for adaptive methods; \(methodName) stores every step, or every k-th with every: k", at: s.location) }
                let steps = try fixedStepCount(duration: duration, step: step, at: options["step"]?.location ?? at)
                let every = try options["every"].map { try wholeOption($0, "every", in: 1...FixedStepLimits.steps) } ?? 1
                try checkTrajectoryMemory(samples: Trajectory.fixedStepSamples(steps: Double(steps), sampleEvery: Double(every)),
                                          dimension: x0.count, hint: "store every k-th step with every: k", at: at)
                trajectory = try FixedStepIntegrator(method, step: duration < 0 ? -step : step).run(field, from: x0, steps: steps, sampleEvery: every)
            } else if let method = AdaptiveMethod(rawValue: methodName) {
                if let s = options["every"] { throw fail("'every:' is for fixed-step methods; \(methodName) stores samples: n equally spaced samples", at: s.location) }
                let samples = try options["samples"].map { try wholeOption($0, "samples", in: 2...10_000_000) } ?? 101
                try checkTrajectoryMemory(samples: Double(samples), dimension: x0.count, hint: "store fewer with samples: n", at: at)
                var integrator = AdaptiveIntegrator(method, relativeTolerance: try options["rtol"].map { try numberOption($0, "rtol") } ?? 1e-10,
                                                    absoluteTolerance: try options["atol"].map { try numberOption($0, "atol") } ?? 1e-10)
                // step: is the first trial step of an adaptive method; error control picks the rest.
                if let step {
                    guard step <= abs(duration) else {
                        throw fail("'step:' (\(OptionText.number(step))) is larger than the duration t = \(OptionText.number(abs(duration))); for \(methodName) it is the first trial step", at: options["step"]!.location)
                    }
                    integrator.initialStep = step
                }
                let times = (0..<samples).map { duration * Double($0) / Double(samples - 1) }
                trajectory = try integrator.run(field, from: x0, times: times)
            } else {
                throw fail("unknown method '\(methodName)'", at: options["method"]?.location ?? at)
            }
        } catch let e as IntegrationError {
            throw fail(e.description, at: at, width: name.count)
        }
        return .trajectory(TrajectoryValue(trajectory: trajectory, names: stateNames, parameters: parameters, method: methodName))
    }

    func needPairs(_ at: SourceLocation, _ name: String) throws {
        if session.pairs.isEmpty {
            throw fail("\(name) needs canonical pairs: declare them with canonical (q, p), ... or load a system", at: at, width: name.count)
        }
    }

    /// The symbol an argument names (a name not defined as an expression, or one defined as a symbol).
    func symbol(_ s: Syntax, _ verb: String) throws -> String {
        if case .name(let n, let at) = s {
            if let e = session.definitions[n] {
                if let sym = e.symbolName { return sym }
                throw fail("'\(n)' is defined as an expression; \(verb) needs a symbol here", at: at, width: n.count)
            }
            return n
        }
        throw fail("\(verb) needs a symbol here", at: s.location)
    }
}
