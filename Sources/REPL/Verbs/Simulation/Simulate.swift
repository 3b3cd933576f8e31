import Symbolic
import Dynamics

/// `simulate(x0: [...], t: T, step: h, method: rk4, every: k)` or, adaptive,
/// `simulate(x0: [...], t: T, samples: n, method: rk8pd, rtol: 1e-10, atol: 1e-10)`; other
/// labels set parameters (`k: 1.5`). Uses the session's H and canonical pairs.
///
/// A fixed-step method takes t/step equal steps, so t must be a whole number of steps (a
/// shorter last step would break the one step size a symplectic method's long-time energy
/// behaviour rests on); otherwise the error names the steps that fit. For an adaptive method
/// `step:` is the first trial step (error control chooses the rest). Counts are bounded
/// before anything runs: at most 1e8 steps, 1e7 samples, and `Trajectory.memoryLimit` bytes.
enum Simulate: Verb {
    static let fixedStep = FixedStepMethod.allCases.map(\.rawValue), adaptive = AdaptiveMethod.allCases.map(\.rawValue)

    static let signature = Signature(
        name: "simulate", family: .simulation, usage: "simulate(x0: [...], t: T, step: h, method: M)",
        summary: "integrates Hamilton's equations of the session's H from x0 = (q..., p...); fixed step (euler, rk4, leapfrog, yoshida4, midpoint, gl4, gl6; t must be a whole number of steps; every: k keeps every k-th state) or adaptive (rk8pd, rkf45, dopri5 with dense output; samples: n, rtol:, atol:, step: the first trial step); other labels set parameters",
        example: "simulate(x0: [1, 0, 0, 0, 1, 0], t: 10, step: 0.01, method: leapfrog)",
        options: [
            .init("x0", .numbers, "the initial state (q..., p...), required"),
            .init("t", .number, "the duration, required (negative runs backwards)"),
            .init("step", .positive, "a fixed-step method's step; an adaptive method's first trial step"),
            .init("method", .word(fixedStep + adaptive), defaultText: "gl4 with step:, rk8pd without", "the integrator"),
            .init("every", .whole(1...FixedStepLimits.steps), default: 1, "fixed step: keep every k-th state"),
            .init("samples", .whole(2...10_000_000), default: 101, "adaptive: equally spaced samples to keep"),
            .init("rtol", .number, default: 1e-10, "adaptive: relative tolerance"),
            .init("atol", .number, default: 1e-10, "adaptive: absolute tolerance"),
        ],
        otherLabels: "parameters of H, as in k: 1.5 (the loaded system's defaults otherwise)")

    static func run(_ call: BoundCall) throws -> Value {
        let evaluation = call.evaluation, session = call.session, name = call.name
        try evaluation.needPairs(call.location, name)
        let h = try evaluation.hamiltonian(call.location, name)
        let stateNames = session.pairs.map(\.q) + session.pairs.map(\.p)
        guard let x0Syntax = call.option("x0") else {
            throw call.fail("simulate needs an initial state x0: [\(stateNames.joined(separator: ", "))]")
        }
        let x0 = try evaluation.numbers(x0Syntax, "x0")
        guard x0.count == stateNames.count else {
            throw call.fail("x0 has \(x0.count) values; the state is (\(stateNames.joined(separator: ", "))): \(stateNames.count) values", at: x0Syntax.location)
        }
        guard let tSyntax = call.option("t") else { throw call.fail("simulate needs a duration t: T (non-zero)") }
        let duration = try call.number("t")!
        guard duration != 0 else { throw call.fail("'t:' is the duration, a number other than 0 (negative runs backwards)", at: tSyntax.location) }
        // Parameters: the loaded system's defaults, overridden by labels naming a symbol of H.
        let symbols = Set(h.freeSymbols)
        var given: [String: Double] = [:]
        for l in call.otherLabels {
            let key = l.label!
            guard symbols.contains(key), !stateNames.contains(key) else {
                throw call.fail("'\(key):' is neither an option of simulate (\(signature.optionLabels.sorted().joined(separator: ", "))) nor a parameter of H", at: l.value.location)
            }
            given[key] = try evaluation.numberOption(l.value, key)
        }
        let parameters = session.system?.parameterValues(overriding: given) ?? given
        if let missing = symbols.subtracting(stateNames).subtracting(parameters.keys).sorted().first {
            throw call.fail("H has a parameter '\(missing)' without a value: pass \(missing): VALUE")
        }
        let methodName = try call.word("method") ?? (call.has("step") ? "gl4" : "rk8pd")
        let step = try call.number("step")
        let field: HamiltonianVectorField
        do {
            field = try HamiltonianVectorField(hamiltonian: h, pairs: session.pairs, parameters: parameters, native: true)
        } catch let e as CompilationError {
            throw call.fail("H cannot be simulated: \(e.message)")
        }
        let trajectory: Trajectory
        do {
            if let method = FixedStepMethod(rawValue: methodName) {
                guard let step else {
                    throw call.fail("\(methodName) is a fixed-step method: give step: h (> 0)", at: call.location(of: "method"))
                }
                if let s = call.option("samples") { throw call.fail("'samples:' is for adaptive methods; \(methodName) stores every step, or every k-th with every: k", at: s.location) }
                for label in ["rtol", "atol"] {
                    if let s = call.option(label) { throw call.fail("'\(label):' is a tolerance of adaptive methods; \(methodName) takes fixed steps of step: h", at: s.location) }
                }
                let steps = try evaluation.fixedStepCount(duration: duration, step: step, at: call.location(of: "step"))
                let every = try call.whole("every")!
                try evaluation.checkTrajectoryMemory(samples: Trajectory.fixedStepSamples(steps: Double(steps), sampleEvery: Double(every)),
                                                     dimension: x0.count, hint: "store every k-th step with every: k", at: call.location)
                trajectory = try FixedStepIntegrator(method, step: duration < 0 ? -step : step).run(field, from: x0, steps: steps, sampleEvery: every)
            } else {
                let method = AdaptiveMethod(rawValue: methodName)!
                if let s = call.option("every") { throw call.fail("'every:' is for fixed-step methods; \(methodName) stores samples: n equally spaced samples", at: s.location) }
                let samples = try call.whole("samples")!
                try evaluation.checkTrajectoryMemory(samples: Double(samples), dimension: x0.count, hint: "store fewer with samples: n", at: call.location)
                var integrator = AdaptiveIntegrator(method, relativeTolerance: try call.number("rtol")!, absoluteTolerance: try call.number("atol")!)
                // step: is the first trial step of an adaptive method; error control picks the rest.
                if let step {
                    guard step <= abs(duration) else {
                        throw call.fail("'step:' (\(OptionText.number(step))) is larger than the duration t = \(OptionText.number(abs(duration))); for \(methodName) it is the first trial step", at: call.location(of: "step"))
                    }
                    integrator.initialStep = step
                }
                let times = (0..<samples).map { duration * Double($0) / Double(samples - 1) }
                trajectory = try integrator.run(field, from: x0, times: times)
            }
        } catch let e as IntegrationError {
            throw call.fail(e.description)
        }
        return .object(TrajectoryValue(trajectory: trajectory, names: stateNames, parameters: parameters, method: methodName))
    }
}
