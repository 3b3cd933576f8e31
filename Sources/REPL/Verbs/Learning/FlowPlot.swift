import Symbolic
import Dynamics
import Learn

extension PlotVerb {
    /// `plot(flow, data, "f.png", plane: k)`: every trajectory of the data pulled back to the
    /// (q̂_k, p̂_k) plane, one panel per radius on Neumann data (the paper's figure 4), else per
    /// trajectory; with `layers: true`, the data's plane k after 0, 1, …, m blocks (figure 2).
    static func flowPlot(_ m: ModelValue, _ call: BoundCall, path: String, at pathAt: SourceLocation) throws -> Value {
        guard let flow = m.model as? any CanonicalMapModel else {
            throw call.fail("plot of a model draws a flow's pull-backs of trajectories; a \(m.model.kind) model has none (plot a rollout instead)", at: call.positional[0].location)
        }
        guard call.count == 3 else { throw call.fail("plot a flow as plot(m, data, \"pullback.png\", plane: 1)", at: call.location, width: 4) }
        let data = try call.dataset(1)
        try m.checkColumns(of: data, at: call.positional[1].location, in: call.evaluation)
        let n = data.dimension / 2, plane = try call.whole("plane")!
        guard plane <= n else { throw call.fail("the flow has \(n) planes (qhat_k, phat_k); plane \(plane) is not one", at: call.location(of: "plane")) }
        var layers = false
        if let s = call.option("layers") {
            guard case .bool(let b) = try call.evaluation.value(s) else { throw call.fail("'layers:' is true or false", at: s.location) }
            layers = b
        }
        // Trajectories in time order, grouped by sphere radius (Neumann) or one by one.
        var rowsOf: [Int: [Int]] = [:]
        for (row, id) in data.trajectoryIDs.enumerated() { rowsOf[id, default: []].append(row) }
        let d = data.dimension, neumann = data.system.hasPrefix("neumann")
        var groups: [(key: String, sort: Double, ids: [Int])] = []
        for id in rowsOf.keys.sorted() {
            let first = rowsOf[id]![0]
            let r = (0..<n).reduce(0.0) { $0 + data.states[first * d + $1] * data.states[first * d + $1] }.squareRoot()
            let key = neumann ? "r = " + TextPrinter.format(r, significantDigits: 4) : "trajectory \(id + 1)"
            if let g = groups.firstIndex(where: { $0.key == key }) { groups[g].ids.append(id) } else { groups.append((key, neumann ? r : Double(id), [id])) }
        }
        groups.sort { $0.sort < $1.sort }
        guard !groups.isEmpty else { throw call.fail("the dataset has no trajectories to pull back", at: call.positional[1].location) }
        guard groups.count <= 24 else { throw call.fail("the data has \(groups.count) trajectories; a flow's plot draws at most 24 panels (use a smaller dataset)", at: call.positional[1].location) }
        func states(_ ids: [Int]) -> Tensor {
            let rows = ids.flatMap { rowsOf[$0]! }
            return Tensor(shape: [rows.count, d], storage: rows.flatMap { data.states[($0 * d)..<($0 * d + d)] })
        }
        /// Plane k of z, one series per trajectory of `ids`.
        func series(_ z: Tensor, _ ids: [Int], title: String) -> [Plot.Series] {
            var start = 0
            return ids.map { id in
                let count = rowsOf[id]!.count
                defer { start += count }
                return Plot.Series(title: ids.count == 1 ? title : "", points: (start..<(start + count)).map { (z.storage[$0 * d + plane - 1], z.storage[$0 * d + n + plane - 1]) }, style: "lines")
            }
        }
        let panels: [(title: String, series: [Plot.Series])]
        if layers {
            let stagesByGroup = groups.map { flow.stages(states($0.ids)) }
            panels = stagesByGroup[0].indices.map { k in
                (k == 0 ? "the data" : "after block \(k)", zip(groups, stagesByGroup).flatMap { series($1[k], $0.ids, title: $0.key) })
            }
        } else {
            panels = groups.map { g in (g.key, series(flow.forward(states(g.ids)), g.ids, title: "")) }
        }
        let what = layers ? "plane \(plane) block by block" : "pull-back of each trajectory to plane \(plane)"
        do {
            try Plot.writePanels(panels, columns: min(4, panels.count), to: path, title: "\(flow.kind) model: \(what)", xlabel: "qhat\(plane)", ylabel: "phat\(plane)",
                                     equalAxes: !layers)
        } catch { throw call.fail("\(error)", at: pathAt) }
        return .text("wrote \(path)")
    }
}
