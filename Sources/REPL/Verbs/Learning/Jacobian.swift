import Foundation
import Symbolic
import Dynamics
import Learn
import Fit

/// `jacobian(m, data, modes: [1, 2], against: H, file: "j.png")`: the Jacobian ∂Q_k/∂q_i of an
/// nct's slowest latent coordinates, averaged over the data's rows, beside the normal modes of a
/// Hamiltonian's quadratic part (the paper's figure 3b).
enum Jacobian: Verb {
    static let signature = Signature(
        name: "jacobian", family: .learning, usage: "jacobian(model, data, modes: [1, 2], against: H, file: \"modes.png\")",
        summary: "the Jacobian dQ_k/dq_i of an nct's latent coordinates Q = F^-1(q) for modes numbered from the slowest, its mean and spread over the data's rows; with against: H, beside the normal modes of H at q = p = 0 (eigenvectors of its Hessian in q, unit masses required; sign chosen to match), with the cosine between them and the learned row's length (1 for an orthogonal map); file: draws both",
        example: "jacobian(train(nct, read(\"data/digits.csv\"), layers: 2, hidden: 8, steps: 3, batch: 32), read(\"data/digits.csv\"), modes: [1])",
        positional: [.required("model", "an nct (from train or read)"), .required("data", "configurations or a dataset (from sample, dataset or read)")],
        options: [.init("modes", .numbers, defaultText: "[1, 2]", "the modes, numbered from the slowest"),
                  .init("against", .custom("a Hamiltonian of the data's coordinates"), defaultText: "none", "compare with the normal modes of its quadratic part at the origin"),
                  .init("file", .file, "a PNG of the learned rows (points) and the normal modes (lines)")])

    static func run(_ call: BoundCall) throws -> Value {
        let target = try PointTransformationCall(call, cannot: "differentiate")
        let (m, model, data) = (target.m, target.model, target.data)
        let n = target.n, rows = data.count
        guard rows > 0 else { throw call.fail("the data has no rows", at: call.positional[1].location) }
        let omega = model.omega, order = target.slowestFirst
        let modes = (try call.numbers("modes") ?? [1, 2])
        guard !modes.isEmpty, modes.count <= 8, modes.allSatisfy({ $0 == $0.rounded() && $0 >= 1 && $0 <= Double(n) }) else {
            throw call.fail("'modes:' lists up to 8 mode numbers from 1 to \(n)", at: call.location(of: "modes"))
        }
        let coordinates = Array(m.names.prefix(n))
        // The analytic normal modes of H's quadratic part, slowest first.
        var normal: (omega: [Double], vectors: [[Double]])?
        if let syntax = call.option("against") { normal = try normalModes(syntax, coordinates: coordinates, parameters: m.parameters, call) }
        let jacobians = model.latentJacobian(target.configurations, indices: modes.map { order[Int($0) - 1] })
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        var lines = ["dQ_k/dq_i averaged over \(rows) rows of \(data.system) (mean, spread as the standard deviation over rows)"]
        var series: [Plot.Series] = []
        for (mode, J) in zip(modes.map { Int($0) }, jacobians) {
            let k = order[mode - 1]
            let mean = (0..<n).map { i in (0..<rows).reduce(0.0) { $0 + J.storage[$1 * n + i] } / Double(rows) }
            let spread = (0..<n).map { i in ((0..<rows).reduce(0.0) { $0 + pow(J.storage[$1 * n + i] - mean[i], 2) } / Double(max(1, rows - 1))).squareRoot() }
            let length = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            lines.append("mode \(mode) (Q\(k + 1), omega \(TextPrinter.format(omega[k], significantDigits: 4))): |mean row| \(short(length))")
            var cells = (0..<n).map { "  \(coordinates[$0]): \(short(mean[$0])) +- \(short(spread[$0]))" }
            series.append(.init(title: "learned mode \(mode) (omega \(short(omega[k])))", points: (0..<n).map { (Double($0 + 1), mean[$0]) }, style: "points"))
            if let normal {
                // The normal mode's sign is free: the one closer to the learned row.
                var u = normal.vectors[mode - 1]
                let dot = zip(u, mean).reduce(0) { $0 + $1.0 * $1.1 }
                if dot < 0 { u = u.map { -$0 } }
                let cosine = abs(dot) / max(length, .leastNormalMagnitude)
                lines[lines.count - 1] += "; normal mode \(mode) of H (omega \(TextPrinter.format(normal.omega[mode - 1], significantDigits: 4))), cosine \(TextPrinter.format(cosine, significantDigits: 4))"
                cells = (0..<n).map { cells[$0] + " (normal mode \(short(u[$0])))" }
                series.append(.init(title: "normal mode \(mode) of H", points: (0..<n).map { (Double($0 + 1), u[$0]) }, style: "lines"))
            }
            lines += cells
        }
        if let path = try call.file("file") {
            do {
                try Plot.write(series, to: path, title: "dQ_k/dq_i of the \(m.model.kind)'s slowest modes, mean over \(rows) rows", xlabel: "i (coordinate \(coordinates.first!) ... \(coordinates.last!))", ylabel: "dQ_k/dq_i", integerX: n <= 30,
                               colours: series.indices.map { Plot.classColours[(normal == nil ? $0 : $0 / 2) % Plot.classColours.count] })
            } catch { throw call.fail("\(error)", at: call.location(of: "file")) }
            lines.append("wrote \(path)")
        }
        return .text(lines.joined(separator: "\n"))
    }

    /// The normal modes of the Hamiltonian written at `syntax` over the session's pairs (which
    /// must be `coordinates` and their momenta): frequencies ω_k = sqrt(λ_k) and unit vectors
    /// from the eigen-decomposition of its Hessian in q at q = p = 0, slowest first. Unit masses
    /// (∂²H/∂p_i∂p_j = δ_ij there) and a positive-definite Hessian are required.
    static func normalModes(_ syntax: Syntax, coordinates: [String], parameters: [String: Double], _ call: BoundCall) throws -> (omega: [Double], vectors: [[Double]]) {
        guard case .expr(let h) = try call.evaluation.value(syntax) else { throw call.fail("'against:' is a Hamiltonian", at: syntax.location) }
        let n = coordinates.count, pairs = call.session.pairs, momenta = pairs.map(\.p)
        guard pairs.count == n, pairs.map(\.q) == coordinates else {
            throw call.fail("'against:' needs the session's pairs to be the model's coordinates (\(coordinates.joined(separator: ", "))) and their momenta", at: syntax.location)
        }
        let origin = Dictionary(uniqueKeysWithValues: (coordinates + momenta).map { ($0, 0.0) }).merging(parameters) { a, _ in a }
        func second(_ a: String, _ b: String) throws -> Double {
            do { return try h.diff(a).diff(b).evaluate(origin) } catch {
                throw call.fail("H's second derivative in \(a), \(b) cannot be evaluated at the origin: \(error)", at: syntax.location)
            }
        }
        for i in 0..<n { for j in 0..<n where try abs(second(momenta[i], momenta[j]) - (i == j ? 1 : 0)) > 1e-12 {
            throw call.fail("the normal modes here assume unit masses (d2H/dp_i dp_j = delta_ij at the origin), which this H does not have", at: syntax.location)
        } }
        let hessian = try (0..<n).map { i in try (0..<n).map { j in try second(coordinates[i], coordinates[j]) } }
        let e: (values: [Double], vectors: [[Double]])
        do { e = try SymmetricEigen.decompose(hessian) } catch { throw call.fail("\(error)", at: syntax.location) }
        guard e.values[0] > 0 else { throw call.fail("H's Hessian at the origin is not positive definite (smallest eigenvalue \(TextPrinter.format(e.values[0], significantDigits: 3))): no normal modes", at: syntax.location) }
        return (e.values.map { $0.squareRoot() }, e.vectors)
    }
}
