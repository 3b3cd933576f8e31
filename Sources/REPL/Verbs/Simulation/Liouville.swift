import Symbolic
import Dynamics

/// `liouville(x0: [q, p], radius: r, points: n, t: T, step: h, method: M)`: the area a loop of
/// states encloses before and after the flow (Liouville's theorem: a symplectic map keeps it).
enum Liouville: Verb {
    static let signature = Signature(
        name: "liouville", family: .simulation, usage: "liouville(x0: [q, p], radius: r, points: n, t: T, step: h, method: M)",
        summary: "transports a loop of n points around x0 (one degree of freedom) and compares the enclosed area before and after (shoelace)",
        example: "load pendulum; liouville(x0: [1, 0], t: 10, step: 0.1, method: euler)",
        options: PhaseSpaceRun.options + [
            .init("radius", .positive, default: 0.1, "the loop's radius around x0"),
            .init("points", .whole(3...1_000_000), default: 256, "points on the loop"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let run = try PhaseSpaceRun(call)
        do {
            let points = try call.whole("points")!
            let r = try PhaseSpaceDiagnostics.liouville(run.field, integrator: run.integrator, center: run.x0, radius: try call.number("radius")!,
                                                        points: points, steps: run.steps)
            return .text("area \(TextPrinter.format(r.initialArea, significantDigits: 10)) -> \(TextPrinter.format(r.finalArea, significantDigits: 10)) "
                         + "(relative change \(TextPrinter.format(r.relativeChange, significantDigits: 3)), \(run.methodName), \(run.steps) steps)")
        } catch let e as IntegrationError {
            throw call.fail(e.description)
        }
    }
}
