import Foundation
import Symbolic
import Dynamics
import Learn

/// `lyapunov(x0: [...], t: T, step: h)` for the session's H, or `lyapunov(model, x0: ..., t: T)`
/// for a learned field or step map: the largest Lyapunov exponent by Benettin's two-orbit method.
enum LyapunovVerb: Verb {
    static let signature = Signature(
        name: "lyapunov", family: .simulation, usage: "lyapunov(x0: [...], t: T, step: h, method: gl4)   or   lyapunov(model, x0: [...], t: T)",
        summary: "the largest Lyapunov exponent of the orbit from x0 (per unit time), by Benettin's method: a companion orbit 1e-8 |x0| away, renormalised every unit of time (every: k steps), log-growth averaged over t; of the session's H (a fixed-step integrator), a learned field (integrated) or a step map such as a SympNet (iterated). The running estimate at each quarter of t shows whether it has settled",
        example: "load pendulum; lyapunov(x0: [1, 0], t: 20, step: 0.01)",
        positional: [.optional("model", "a model (from train or read); without it, the session's H")],
        options: PhaseSpaceRun.options + [.init("every", .whole(1...10_000_000), defaultText: "the steps in one unit of time", "renormalise the companion orbit every k steps")])

    static func run(_ call: BoundCall) throws -> Value {
        let map: any StepMap, x0: [Double], steps: Int, what: String
        if call.count == 1 {
            let m = try call.object(0, ModelValue.self)
            x0 = try m.initialState(call)
            guard call.has("t") else { throw call.fail("lyapunov needs t:") }
            let duration = try call.number("t")!
            if let stepMap = m.model as? any MapModel {
                if call.has("method") { throw call.fail("a \(m.model.kind) is a step map: it is iterated, with no integrator to choose", at: call.location(of: "method")) }
                map = stepMap
                what = "the \(m.model.kind) model, iterated (step \(TextPrinter.format(stepMap.stepSize, significantDigits: 6)))"
            } else {
                let field = try m.field(call.positional[0].location, in: call.evaluation)
                let method = FixedStepMethod(rawValue: try call.word("method")!)!
                do { map = try FixedStepMap(field, integrator: FixedStepIntegrator(method, step: try call.number("step")!)) } catch let e as IntegrationError {
                    throw call.fail(e.reason, at: call.location(of: "method"))
                }
                what = "the \(m.model.kind) model's field, \(method.rawValue) with step \(TextPrinter.format(map.stepSize, significantDigits: 6))"
            }
            steps = try call.evaluation.fixedStepCount(duration: duration, step: map.stepSize, at: call.location(of: "t"))
        } else {
            let run = try PhaseSpaceRun(call)
            do { map = try FixedStepMap(run.field, integrator: run.integrator) } catch let e as IntegrationError {
                throw call.fail(e.reason, at: call.location(of: "method"))
            }
            guard run.x0.count == map.dimension else { throw call.fail("x0 has \(run.x0.count) values; the state has \(map.dimension)", at: call.location(of: "x0")) }
            (x0, steps, what) = (run.x0, run.steps, "H, \(run.methodName) with step \(TextPrinter.format(run.integrator.step, significantDigits: 6))")
        }
        let every = try call.whole("every") ?? max(1, Int((1 / map.stepSize).rounded()))
        guard every <= steps else {
            throw call.fail("t covers \(steps) steps, fewer than one renormalisation (every \(every) steps); use a longer t or a smaller every:", at: call.location(of: call.has("every") ? "every" : "t"))
        }
        let estimate: Lyapunov.Estimate
        do { estimate = try Lyapunov.largestExponent(of: map, from: x0, steps: steps, renormalizeEvery: every) } catch let e as IntegrationError {
            throw call.fail(e.description)
        }
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 4) }
        return .text("largest Lyapunov exponent \(short(estimate.exponent)) per unit time, of \(what), over t = \(short(Double(estimate.renormalizations * every) * map.stepSize)) "
                     + "(\(estimate.renormalizations) renormalisations every \(every) steps, separation \(TextPrinter.format(estimate.separation, significantDigits: 2)))\n"
                     + "running estimate: " + estimate.running.map { "t = \(short($0.time)): \(short($0.exponent))" }.joined(separator: ", "))
    }
}
