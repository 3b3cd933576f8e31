import Symbolic
import Dynamics

/// `poincare(x0: [...], t: T, step: h, method: M, file: "section.png")`: the section q2 = 0,
/// p2 > 0 of a system with two degrees of freedom.
enum Poincare: Verb {
    static let signature = Signature(
        name: "poincare", family: .simulation, usage: "poincare(x0: [...], t: T, step: h, method: M, file: \"section.png\")",
        summary: "the Poincare section q2 = 0, p2 > 0 of a system with two degrees of freedom: crossings as points, optionally plotted",
        example: "load kepler2d; poincare(x0: [1, 0, 0, 1.2], t: 100, step: 0.01)",
        options: PhaseSpaceRun.options + [.init("file", .file, "a PNG of the crossings")])

    static func run(_ call: BoundCall) throws -> Value {
        let run = try PhaseSpaceRun(call)
        let points: [(Double, Double)]
        do {
            points = try PhaseSpaceDiagnostics.poincareSection(run.field, integrator: run.integrator, from: run.x0, steps: run.steps)
        } catch let e as IntegrationError {
            throw call.fail(e.description)
        }
        let names = call.session.pairs.map(\.q) + call.session.pairs.map(\.p)
        var text = "\(points.count) crossings of \(names[1]) = 0 with \(names[3]) > 0"
        if let lo = points.map(\.0).min(), let hi = points.map(\.0).max(), let plo = points.map(\.1).min(), let phi = points.map(\.1).max() {
            text += "; \(names[0]) in [\(TextPrinter.format(lo, significantDigits: 4)), \(TextPrinter.format(hi, significantDigits: 4))], "
                + "\(names[2]) in [\(TextPrinter.format(plo, significantDigits: 4)), \(TextPrinter.format(phi, significantDigits: 4))]"
        }
        if let path = try call.file("file") {
            do {
                try Plot.write([.init(title: run.methodName, points: points, style: "points")], to: path,
                               title: "Poincare section \(names[1]) = 0, \(names[3]) > 0", xlabel: names[0], ylabel: names[2])
            } catch { throw call.fail("\(error)", at: call.location(of: "file")) }
            text += "; wrote \(path)"
        }
        return .text(text)
    }
}
