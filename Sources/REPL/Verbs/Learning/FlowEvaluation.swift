import Symbolic
import Dynamics
import Foundation
import Learn

/// `evaluate(flow, data)`: eq. 14 on each trajectory of the data, as ℓ′ = ℓ × 10⁵ (Bondesan &
/// Lamacraft's Table 1), with the zero-center layers at their moving averages (test time).
/// Each trajectory's points are taken in a seeded random order, as in training, so neighbours
/// in the loss are any two points of it. On Neumann data the trajectories are grouped by the
/// radius |q| of their sphere; otherwise by split.
enum FlowEvaluation {
    static func report(_ flow: any CanonicalMapModel, on data: Dataset, _ call: BoundCall) throws -> String {
        let d = data.dimension, n = d / 2
        var rowsOf: [Int: [Int]] = [:]
        for (row, id) in data.trajectoryIDs.enumerated() { rowsOf[id, default: []].append(row) }
        guard !rowsOf.isEmpty else { throw call.fail("the dataset has no trajectories", at: call.positional[1].location) }
        if let short = rowsOf.keys.sorted().first(where: { rowsOf[$0]!.count < 2 }) {
            throw call.fail("trajectory \(short + 1) has one sample; eq. 14 compares points of a trajectory", at: call.positional[1].location)
        }
        // Rows of a trajectory in time order (a file's rows need not be).
        for id in rowsOf.keys { rowsOf[id]!.sort { data.times[$0] < data.times[$1] } }
        let neumann = data.system.hasPrefix("neumann")
        var groups: [String: [[Double]]] = [:], order: [(key: String, sort: Double)] = []
        for id in rowsOf.keys.sorted() {
            let rows = TrajectoryPoints.shuffled(rowsOf[id]!, seed: UInt64(id), take: rowsOf[id]!.count)
            let x = Tensor(shape: [1, rows.count, d], storage: rows.flatMap { data.states[($0 * d)..<($0 * d + d)] })
            let loss = flow.circleLoss(x)
            let frequencies = Self.frequencies(flow, rows: rowsOf[id]!, of: data)
            let key: String, sort: Double
            if neumann {
                var squares = 0.0
                for i in 0..<n { let q = data.states[rows[0] * d + i]; squares += q * q }
                let r = squares.squareRoot()
                (key, sort) = (TextPrinter.format(r, significantDigits: 4), r)
            } else {
                (key, sort) = data.isTestTrajectory[id] ? ("test", 1) : ("train", 0)
            }
            if groups[key] == nil { order.append((key, sort)) }
            groups[key, default: []].append([loss.loss] + loss.planes + frequencies)
        }
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        let label = neumann ? "radius" : "split"
        var lines = ["eq. 14 loss on these trajectories, l' = l x 1e5, and each (qhat_k, phat_k) plane's (their mean is l'); zero-center at its moving averages (test time), each trajectory's points in a seeded random order:"]
        let header = [label, "trajectories", "l'"] + (1...n).map { "plane \($0)" }
        var table = [header], speeds = [[label, "trajectories"] + (1...n).map { "dphi\($0)/dt" }]
        for (key, _) in order.sorted(by: { $0.sort < $1.sort }) {
            let losses = groups[key]!
            let means = (0...n).map { c in losses.map { $0[c] }.reduce(0, +) / Double(losses.count) * 1e5 }
            table.append([key, String(losses.count)] + means.map(short))
            let rates = ((n + 1)...(2 * n)).map { c in losses.map { $0[c] }.reduce(0, +) / Double(losses.count) }
            speeds.append([key, String(losses.count)] + rates.map(short))
        }
        lines += aligned(table)
        lines.append("frequencies dphi_k/dt: the slope of each plane's unwrapped angle over the trajectory's time, mean over its trajectories:")
        lines += aligned(speeds)
        if let syntax = call.option("frequency") {
            let value = try call.evaluation.value(syntax)
            guard case .expr(let f) = value else { throw call.fail("'frequency:' is an expression of the data's coordinates, not \(value.kindName)", at: syntax.location) }
            let samples = try call.evaluation.sampleValues(of: [f], on: data, at: syntax.location)[0]
            var table = [["trajectory", "frequency"] + (1...n).map { "dphi\($0)/dt" }]
            for id in rowsOf.keys.sorted() {
                let rows = rowsOf[id]!
                let expected = rows.reduce(0) { $0 + samples[$1] } / Double(rows.count)
                table.append([String(id + 1), short(expected)] + Self.frequencies(flow, rows: rows, of: data).map(short))
            }
            lines.append("each trajectory's measured dphi_k/dt beside the closed form given as frequency: (its mean over the trajectory):")
            lines += aligned(table)
        }
        return (lines + (try torus(flow, on: data, call))).joined(separator: "\n")
    }

    /// `actions: [...]`: the latent torus I_k at the 1024 test angles of a dkdphi run (φ uniform,
    /// seeded), mapped back by T⁻¹: H's mean, spread and range there, and ∂K/∂φ_k's root mean
    /// square per plane, with the dkdphi loss (the mean of Σ_k (∂K/∂φ_k)²). H constant on the
    /// image (∂K/∂φ = 0) makes it an invariant torus of H with these actions.
    static func torus(_ flow: any CanonicalMapModel, on data: Dataset, _ call: BoundCall) throws -> [String] {
        guard let syntax = call.option("actions") else { return [] }
        let n = data.dimension / 2
        var actions = try call.evaluation.numberOrNumbers(syntax, "actions")
        guard actions.count == 1 || actions.count == n else {
            throw call.fail("'actions:' has \(actions.count) values; the data has \(n) \(n == 1 ? "plane" : "planes") (q_k, p_k), so give \(n == 1 ? "one action" : "one action or \(n)")", at: syntax.location)
        }
        if let bad = actions.first(where: { !($0 > 0 && $0.isFinite) }) {
            throw call.fail("'actions:' are positive: a torus of action \(OptionText.number(bad)) has no points", at: syntax.location)
        }
        if actions.count == 1 { actions = Array(repeating: actions[0], count: n) }
        let source = TorusPoints(data, actions: actions)
        let field: HamiltonianVectorField
        do { field = try source.field.get() } catch {
            throw call.fail("the torus is measured with the data's H: \(error)", at: call.positional[1].location)
        }
        let z = source.testBatch!["z"]!, rows = z.shape[0], d = data.dimension
        let x = flow.inverse(z)
        let energies = (0..<rows).map { r in field.energy(Array(x.storage[(r * d)..<(r * d + d)])) }
        let rates = flow.actionRates(x, field: field).storage
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        guard energies.allSatisfy(\.isFinite), rates.allSatisfy(\.isFinite) else {
            return ["on the latent torus I = (\(actions.map(short).joined(separator: ", "))): H is not finite on its image under the inverse map (it meets a singularity of H)"]
        }
        let mean = energies.reduce(0, +) / Double(rows)
        let sd = (energies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)).squareRoot()
        let rms = (0..<n).map { k in (stride(from: k, to: rates.count, by: n).reduce(0) { $0 + rates[$1] * rates[$1] } / Double(rows)).squareRoot() }
        let loss = rates.reduce(0) { $0 + $1 * $1 } / Double(rows)
        return ["on the latent torus I = (\(actions.map(short).joined(separator: ", "))), \(rows) points with seeded uniform angles, mapped back by the inverse:",
                "  H: mean \(TextPrinter.format(mean, significantDigits: 6)), standard deviation \(short(sd)) (relative \(short(sd / abs(mean)))), range [\(short(energies.min()!)), \(short(energies.max()!))]",
                "  dK/dphi_k = dI_k/dt, root mean square: " + rms.enumerated().map { "plane \($0 + 1) \(short($1))" }.joined(separator: ", ")
                    + "; the dkdphi loss (mean of sum_k (dK/dphi_k)^2) \(short(loss))"]
    }

    static func aligned(_ table: [[String]]) -> [String] {
        let widths = table[0].indices.map { c in table.map { $0[c].count }.max()! }
        return table.map { row in row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    }

    /// dφ_k/dt of one trajectory (rows in time order): the least-squares slope of φ_k(t), its
    /// angle in plane k unwrapped (steps of more than π taken as the short way round).
    static func frequencies(_ flow: any CanonicalMapModel, rows: [Int], of data: Dataset) -> [Double] {
        let d = data.dimension, n = d / 2
        let z = flow.forward(Tensor(shape: [rows.count, d], storage: rows.flatMap { data.states[($0 * d)..<($0 * d + d)] })).storage
        let t = rows.map { data.times[$0] }
        let tMean = t.reduce(0, +) / Double(t.count)
        let tVar = t.reduce(0) { $0 + ($1 - tMean) * ($1 - tMean) }
        return (0..<n).map { k in
            var phi: [Double] = [], last = 0.0, turns = 0.0
            for (j, _) in rows.enumerated() {
                let a = atan2(z[j * d + n + k], z[j * d + k])
                if j > 0 { if a - last > .pi { turns -= 2 * .pi } else if a - last < -.pi { turns += 2 * .pi } }
                last = a
                phi.append(a + turns)
            }
            let pMean = phi.reduce(0, +) / Double(phi.count)
            return tVar > 0 ? zip(t, phi).reduce(0) { $0 + ($1.0 - tMean) * ($1.1 - pMean) } / tVar : 0
        }
    }
}
