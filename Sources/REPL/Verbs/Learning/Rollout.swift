import Symbolic
import Dynamics
import Learn

/// `rollout(model, x0: [...], t: T, step: h, method: rk4)`: the learned field integrated.
enum Rollout: Verb {
    static let methods = FixedStepMethod.allCases.map(\.rawValue)

    static let signature = Signature(
        name: "rollout", family: .learning, usage: "rollout(model, x0: [...], t: T, step: h, method: rk4)",
        summary: "the learned vector field integrated from x0: a trajectory for drift and plot; leapfrog and yoshida4 need a model whose H is split as T(p) + V(q) (shnn)",
        example: "rollout(train(hnn, dataset(harmonic, trajectories: 2, samples: 5), hidden: 8, steps: 3), x0: [1, 0], t: 1, step: 0.1)",
        positional: [.required("model", "a model (from train or read)")],
        options: [
            .init("x0", .numbers, "the initial state, required"),
            .init("t", .positive, default: 10, "the duration"),
            .init("step", .positive, default: 0.01, "the fixed step"),
            .init("method", .word(methods), defaultText: "rk4", "the fixed-step integrator"),
            .init("every", .whole(1...10_000_000), default: 1, "keep every k-th state"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let m = try call.object(0, ModelValue.self)
        if let map = m.model as? any MapModel { return try iterate(map, m, call) }
        let field = try m.field(call.positional[0].location, in: call.evaluation)
        let x0 = try m.initialState(call)
        let methodName = try call.word("method")!
        let method = FixedStepMethod(rawValue: methodName)!
        if method.needsSeparable, !((m.model as? SeparableField)?.isSeparable ?? false) {
            let others = FixedStepMethod.allCases.filter { !$0.needsSeparable }.map(\.rawValue).joined(separator: ", ")
            let kinds = ModelRegistry.kinds { ($0 as? SeparableField)?.isSeparable ?? false }.map { "train(\($0), ...)" }.joined(separator: " or ")
            throw call.fail("\(methodName) needs a Hamiltonian split as T(p) + V(q), and this \(m.model.kind) model's is not; use \(others), or \(kinds)", at: call.location(of: "method"))
        }
        let duration = try call.number("t")!, step = try call.number("step")!
        let steps = try call.evaluation.fixedStepCount(duration: duration, step: step, limit: 10_000_000, at: call.option("step")?.location ?? call.location(of: "t"))
        let every = try call.whole("every")!
        try call.evaluation.checkTrajectoryMemory(samples: Trajectory.fixedStepSamples(steps: Double(steps), sampleEvery: Double(every)), dimension: x0.count,
                                                  hint: "store every k-th step with every: k", at: call.location)
        do {
            let traj = try FixedStepIntegrator(method, step: step).run(field, from: x0, steps: steps, sampleEvery: every)
            return .object(TrajectoryValue(trajectory: traj, names: m.names, parameters: m.parameters, method: "\(m.model.kind) model, \(methodName)"))
        } catch let e as IntegrationError {
            throw call.fail(e.description + massHint(m.model, e))
        }
    }

    /// A step map (a SympNet) rolled out by iterating it: its step is its own, so `step:` may
    /// only repeat it and `method:` does not apply.
    static func iterate(_ map: any MapModel, _ m: ModelValue, _ call: BoundCall) throws -> Value {
        let h = map.stepSize, short = { (x: Double) in TextPrinter.format(x, significantDigits: 6) }
        if call.has("method") { throw call.fail("a \(m.model.kind) is a step map: its rollout iterates it, with no integrator to choose", at: call.location(of: "method")) }
        if let step = try call.number("step"), call.has("step"), abs(step - h) > 1e-12 * h {
            throw call.fail("a \(m.model.kind) maps one step of \(short(h)), which its rollout keeps; step: \(short(step)) would need another model", at: call.location(of: "step"))
        }
        let x0 = try m.initialState(call)
        let duration = try call.number("t")!
        let steps = try call.evaluation.fixedStepCount(duration: duration, step: h, limit: 10_000_000, at: call.location(of: "t"))
        let every = try call.whole("every")!
        try call.evaluation.checkTrajectoryMemory(samples: Trajectory.fixedStepSamples(steps: Double(steps), sampleEvery: Double(every)), dimension: x0.count,
                                                  hint: "store every k-th step with every: k", at: call.location)
        do {
            let traj = try map.iterate(from: x0, steps: steps, sampleEvery: every)
            return .object(TrajectoryValue(trajectory: traj, names: m.names, parameters: m.parameters, method: "\(m.model.kind) model, iterated with step \(short(h))"))
        } catch let e as IntegrationError {
            throw call.fail(e.description)
        }
    }

    /// For an lnn whose rollout failed: how singular its learned mass matrix is at the last state
    /// kept, the usual cause (q̈ = A⁻¹(...) grows without bound as A becomes singular).
    static func massHint(_ model: any Model, _ e: IntegrationError) -> String {
        guard let lnn = model as? any LagrangianModel, let partial = e.partial, partial.count > 0 else { return "" }
        let k = partial.count - 1, x = Array(partial.state(k))
        guard x.allSatisfy(\.isFinite) else { return "" }
        let A = lnn.massMatrix(at: x).map { TextPrinter.format($0, significantDigits: 3) }
        let n = Int(Double(A.count).squareRoot())
        let text = n == 1 ? A[0] : "[" + (0..<n).map { i in A[(i * n)..<((i + 1) * n)].joined(separator: ", ") }.joined(separator: "; ") + "]"
        return "; the lnn's learned mass matrix d2L/dqdot2 is \(text) at t = \(TextPrinter.format(partial.times[k], significantDigits: 6)), the last state kept (qddot = its inverse times the forces)"
    }
}
