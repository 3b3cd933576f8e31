import Foundation
import Symbolic
import Dynamics
import Learn

extension PlotVerb {
    /// Figures of a point-transformation model (an nct) on data, modes numbered from the slowest
    /// (smallest learned ω):
    /// - `plot(m, data, "latent.png", modes: [1, 2], color: label)`: the data's latent
    ///   coordinates (Q_a, Q_b) = F⁻¹(q), one colour per class label, or coloured by an
    ///   expression of the data's coordinates (`color: atan(q2/q1)`);
    /// - `plot(m, data, "walk.png", walk: 1)`: images (n = side² coordinates) walked along one
    ///   latent coordinate: from up to ten test images (the first of each class when labelled,
    ///   else the first six),
    ///   Q_k is set to z/(√β ω_k) for z = −2 … 2, the other coordinates kept, and mapped back.
    static func latentPlot(_ model: any PointTransformationModel, _ m: ModelValue, _ call: BoundCall, path: String, at pathAt: SourceLocation) throws -> Value {
        guard call.count == 3 else { throw call.fail("plot an nct as plot(m, data, \"latent.png\", modes: [1, 2], color: label) or plot(m, data, \"walk.png\", walk: 1)", at: call.location, width: 4) }
        for label in ["plane", "layers", "log"] where call.has(label) {
            throw call.fail("'\(label):' is not for an nct's plot (its options: modes, color, walk)", at: call.location(of: label))
        }
        let target = try PointTransformationCall(call, cannot: "plot")
        let data = target.data, n = target.n
        // Latent indices from the slowest mode on.
        let omega = model.omega, order = target.slowestFirst
        func mode(_ k: Int, _ label: String) throws -> Int {
            guard (1...n).contains(k) else { throw call.fail("the model has modes 1 to \(n) (numbered from the slowest); \(k) is not one", at: call.location(of: label)) }
            return order[k - 1]
        }
        let Q = target.latent
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        do {
            if let k = try call.whole("walk") {
                if call.has("modes") || call.has("color") { throw call.fail("'walk:' draws images; modes: and color: are for the latent scatter", at: call.location(of: "walk")) }
                return try walk(model, data, Q: Q, index: try mode(k, "walk"), mode: k, call, path: path)
            }
            var modes = [1, 2]
            if let s = call.option("modes") {
                let v = try call.evaluation.numberOrNumbers(s, "modes")
                guard v.count == 2, v.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e9 }) else { throw call.fail("'modes:' is a list of two mode numbers, as in modes: [1, 2]", at: s.location) }
                modes = v.map { Int($0) }
            }
            let (a, b) = (try mode(modes[0], "modes"), try mode(modes[1], "modes"))
            let title = "\(m.model.kind) latent coordinates of \(data.system), \(data.count) rows"
            let xlabel = "Q\(a + 1) (mode \(modes[0]), omega \(short(omega[a])))", ylabel = "Q\(b + 1) (mode \(modes[1]), omega \(short(omega[b])))"
            let point = { (r: Int) in (Q.storage[r * n + a], Q.storage[r * n + b]) }
            guard let color = call.option("color") else {
                try Plot.write([.init(title: "rows", points: (0..<data.count).map(point), style: "points")], to: path, title: title, xlabel: xlabel, ylabel: ylabel)
                return .text("wrote \(path)")
            }
            if case .name("label", _) = color {
                guard let labels = data.labels else { throw call.fail("the data has no class labels; color: takes an expression of its coordinates (\(DatasetValue.abbreviated(data.names)))", at: color.location) }
                let series = Set(labels).sorted().map { c in
                    Plot.Series(title: "\(data.system == "digits" ? "digit" : "class") \(c)", points: labels.indices.filter { labels[$0] == c }.map(point), style: "points")
                }
                try Plot.write(series, to: path, title: title, xlabel: xlabel, ylabel: ylabel, colours: series.count <= Plot.classColours.count ? Array(Plot.classColours.prefix(series.count)) : nil)
                return .text("wrote \(path)")
            }
            guard case .expr(let e) = try call.evaluation.value(color) else { throw call.fail("'color:' is label or an expression of the data's coordinates", at: color.location) }
            if let unknown = target.unknownSymbol(in: e) {
                throw call.fail("'color:' names '\(Diagnostic.escaped(unknown))', which is not a coordinate of the data (\(DatasetValue.abbreviated(data.names)))", at: color.location)
            }
            let points = try target.values(of: e).enumerated().filter { $0.element.isFinite }.map { r, c in (x: point(r).0, y: point(r).1, c: c) }
            try Plot.writeColoured(points, to: path, title: title, xlabel: xlabel, ylabel: ylabel, colorLabel: TextPrinter().print(e))
            return .text("wrote \(path)" + (points.count < data.count ? " (\(data.count - points.count) rows where the colour is not finite left out)" : ""))
        } catch let failure as Plot.Failure { throw call.fail("\(failure)", at: pathAt) }
    }

    /// `plot(m, "spectrum.png", against: H)`: the learned frequencies, sorted, against their
    /// rank; with `against:`, the normal-mode frequencies of H beside them.
    static func spectrumPlot(_ model: any OscillatorModel, _ m: ModelValue, _ call: BoundCall, path: String, at pathAt: SourceLocation) throws -> Value {
        for label in ["plane", "layers", "log", "modes", "color", "walk"] where call.has(label) {
            throw call.fail("'\(label):' is not for a spectrum; plot(m, \"spectrum.png\", against: H) draws the learned frequencies", at: call.location(of: label))
        }
        let omega = model.omega.sorted(), n = omega.count
        var series = [Plot.Series(title: "learned omega_k (\(m.model.kind))", points: omega.enumerated().map { (Double($0 + 1), $1) }, style: "points")]
        var lines = ["wrote \(path)"]
        if let syntax = call.option("against") {
            let exact = try Jacobian.normalModes(syntax, coordinates: Array(m.names.prefix(n)), parameters: m.parameters, call).omega
            series.append(.init(title: "normal modes of H", points: exact.enumerated().map { (Double($0 + 1), $1) }, style: "lines"))
            let worst = zip(omega, exact).map { abs($0 - $1) / $1 }.max() ?? 0
            lines.append("largest relative difference from H's normal-mode frequencies: \(TextPrinter.format(100 * worst, significantDigits: 3)) %")
        }
        do {
            try Plot.write(series, to: path, title: "frequency spectrum of the \(m.model.kind) model of \(m.system)", xlabel: "k (sorted)", ylabel: "omega_k", integerX: n <= 20,
                           colours: Array(Plot.classColours.prefix(series.count)))
        } catch { throw call.fail("\(error)", at: pathAt) }
        return .text(lines.joined(separator: "\n"))
    }

    static func walk(_ model: any PointTransformationModel, _ data: Dataset, Q: Tensor, index: Int, mode: Int, _ call: BoundCall, path: String) throws -> Value {
        let n = model.dimension / 2, side = Int(Double(n).squareRoot().rounded())
        guard side * side == n, data.isSamples else {
            throw call.fail("walk: draws images, and needs configuration samples of a square number of pixels; this data has \(n) coordinates" + (data.isSamples ? "" : " with momenta"), at: call.location(of: "walk"))
        }
        // Up to ten starting rows: the first test row of each class, or the first test rows.
        let tests = (0..<data.count).filter { data.isTest($0) }
        let pool = tests.isEmpty ? Array(0..<data.count) : tests
        var starts: [Int] = []
        if let labels = data.labels {
            for c in Set(labels).sorted().prefix(10) { if let r = pool.first(where: { labels[$0] == c }) { starts.append(r) } }
        } else { starts = Array(pool.prefix(6)) }
        let steps = stride(from: -2.0, through: 2.0, by: 0.5).map { $0 }
        let sigma = 1 / (model.beta.squareRoot() * model.omega[index])
        var latent: [Double] = []
        for r in starts {
            for z in steps {
                var row = Array(Q.storage[(r * n)..<(r * n + n)])
                row[index] = z * sigma
                latent += row
            }
        }
        let walked = model.configurations(Tensor(shape: [starts.count * steps.count, n], storage: latent)).storage
        var images: [[Double]] = []
        for (i, r) in starts.enumerated() {
            images.append(Array(data.states[(r * n)..<(r * n + n)]))
            for j in steps.indices { images.append(Array(walked[((i * steps.count + j) * n)..<((i * steps.count + j) * n + n)])) }
        }
        let low = data.states.min() ?? 0, high = data.states.max() ?? 1
        let rowLabels = starts.map { r in data.labels.map { "\(data.system == "digits" ? "digit" : "class") \($0[r])" } ?? "row \(r + 1)" }
        let columnLabels = ["data"] + steps.map { "z = " + TextPrinter.format($0, significantDigits: 2) }
        try Plot.writeImages(images, side: side, rowLabels: rowLabels, columnLabels: columnLabels, range: (low, high > low ? high : low + 1),
                             to: path, title: "test images walked along mode \(mode) (Q\(index + 1), omega \(TextPrinter.format(model.omega[index], significantDigits: 3))): Q\(index + 1) = z sigma, sigma = \(TextPrinter.format(sigma, significantDigits: 3))")
        return .text("wrote \(path)")
    }
}
