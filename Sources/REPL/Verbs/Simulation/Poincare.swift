import Symbolic
import Dynamics

/// `poincare(x0: [...], t: T, step: h, method: M, file: "section.png")`: the section q2 = 0,
/// p2 > 0 of a system with two degrees of freedom; `poincare([r1, r2], file: ...)` the sections
/// of given trajectories (a learned model's rollouts beside the true system's), each its own
/// colour.
enum Poincare: Verb {
    static let signature = Signature(
        name: "poincare", family: .simulation, usage: "poincare(x0: [...], t: T, step: h, method: M, file: \"section.png\")   or   poincare([r1, r2], file: \"section.png\")",
        summary: "the Poincare section q2 = 0, p2 > 0 of a system with two degrees of freedom: crossings as points, optionally plotted; of the session's H from x0, or of given trajectories (rollouts of models beside the truth), located by linear interpolation between their samples",
        example: "load kepler2d; poincare(x0: [1, 0, 0, 1.2], t: 100, step: 0.01)",
        positional: [.optional("trajectories", "a trajectory or a list of them, instead of x0")],
        options: PhaseSpaceRun.options + [.init("file", .file, "a PNG of the crossings")])

    static func run(_ call: BoundCall) throws -> Value {
        if call.count > 0 { return try ofTrajectories(call) }
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

    /// The sections of given trajectories: a line each, and one figure.
    static func ofTrajectories(_ call: BoundCall) throws -> Value {
        for label in ["x0", "t", "step", "method"] where call.has(label) {
            throw call.fail("'\(label):' goes with poincare(x0: ...); the sections of given trajectories take file: only", at: call.location(of: label))
        }
        let trajectories = try PlotVerb.trajectories(call, 0)
        let names = trajectories[0].value.names
        guard names.count == 4 else {
            throw call.fail("a Poincare section needs two degrees of freedom; this trajectory's state is (\(names.joined(separator: ", ")))", at: call.positional[0].location)
        }
        var lines: [String] = [], series: [Plot.Series] = []
        for (name, t) in trajectories {
            let points = PhaseSpaceDiagnostics.poincareSection(of: t.trajectory)
            var text = "\(name.map { $0 + ": " } ?? "")\(points.count) crossings of \(names[1]) = 0 with \(names[3]) > 0"
            if let lo = points.map(\.0).min(), let hi = points.map(\.0).max(), let plo = points.map(\.1).min(), let phi = points.map(\.1).max() {
                text += "; \(names[0]) in [\(TextPrinter.format(lo, significantDigits: 4)), \(TextPrinter.format(hi, significantDigits: 4))], "
                    + "\(names[2]) in [\(TextPrinter.format(plo, significantDigits: 4)), \(TextPrinter.format(phi, significantDigits: 4))]"
            }
            lines.append(text)
            series.append(.init(title: name ?? t.method, points: points, style: "points"))
        }
        if let path = try call.file("file") {
            do {
                try Plot.write(series, to: path, title: "Poincare section \(names[1]) = 0, \(names[3]) > 0", xlabel: names[0], ylabel: names[2])
            } catch { throw call.fail("\(error)", at: call.location(of: "file")) }
            lines.append("wrote \(path)")
        }
        return .text(lines.joined(separator: "\n"))
    }
}
