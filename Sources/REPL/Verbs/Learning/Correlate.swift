import Foundation
import Symbolic
import Dynamics
import Learn

/// `correlate(m, data, [atan(q2/q1), sqrt(q1^2 + q2^2)])`: Pearson correlations between a
/// point-transformation model's latent coordinates Q_k (modes from the slowest) and
/// expressions of the data's coordinates, over the data's rows.
enum Correlate: Verb {
    static let signature = Signature(
        name: "correlate", family: .learning, usage: "correlate(model, data, [atan(q2/q1), sqrt(q1^2 + q2^2)])",
        summary: "Pearson correlations between an nct's latent coordinates Q_k = F^-1(q)_k (rows: modes numbered from the slowest, with their learned frequencies) and expressions of the data's coordinates (columns), over every row of the data: which physical variables its slow modes are",
        example: "correlate(train(nct, read(\"data/digits.csv\"), layers: 2, hidden: 8, steps: 3, batch: 32), read(\"data/digits.csv\"), [x36, x37])",
        positional: [.required("model", "an nct (from train or read)"), .required("data", "a dataset or samples (from dataset, sample or read)"),
                     .required("expressions", "a list of expressions of the data's coordinates")],
        options: [.init("angle", .custom("a list of two coordinates [x, y]"), defaultText: "none",
                        "adds the polar angle atan2(y, x) as a column: an angle has a cut, so it is measured from the cut that maximises |r| for each mode (the middle of one of the 64 widest gaps between the data's angles), and the cut is printed")])

    static func run(_ call: BoundCall) throws -> Value {
        let target = try PointTransformationCall(call, cannot: "correlate")
        let (model, data) = (target.model, target.data)
        let expressions = try call.evaluation.expressions(call.positional[2], "correlate's third argument")
        guard !expressions.isEmpty else { throw call.fail("give at least one expression to correlate with", at: call.positional[2].location) }
        for e in expressions {
            if let unknown = target.unknownSymbol(in: e) {
                throw call.fail("'\(Diagnostic.escaped(unknown))' is not a coordinate of the data (\(DatasetValue.abbreviated(data.names)))", at: call.positional[2].location)
            }
        }
        var angle: (x: Int, y: Int, label: String)?
        if let syntax = call.option("angle") {
            let pair = try call.evaluation.expressions(syntax, "'angle:'")
            guard pair.count == 2, case .symbol(let x) = pair[0].kind, case .symbol(let y) = pair[1].kind,
                  let i = data.names.firstIndex(of: x), let j = data.names.firstIndex(of: y) else {
                throw call.fail("'angle:' names two coordinates of the data, as in angle: [q1, q2]", at: syntax.location)
            }
            angle = (i, j, "polar angle of (\(x), \(y))")
        }
        guard data.count >= 3 else { throw call.fail("a correlation needs at least 3 rows; the data has \(data.count)", at: call.positional[1].location) }
        let n = model.dimension / 2, d = data.dimension, rows = data.count
        let Q = target.latent
        let columns = try expressions.map(target.values)
        let omega = model.omega, order = target.slowestFirst
        let labels = expressions.map { TextPrinter().print($0) } + (angle.map { [$0.label] } ?? [])
        var lines = ["Pearson correlation over \(rows) rows of \(data.system): latent Q_k (modes from the slowest) against " + labels.joined(separator: ", ")]
        for (mode, k) in order.prefix(12).enumerated() {
            let q = (0..<rows).map { Q.storage[$0 * n + k] }
            var cells = columns.map { c in Self.pearson(q, c).map { TextPrinter.format($0, significantDigits: 3) } ?? "undefined (a constant, or a value that is not finite)" }
            if let angle { cells.append(Self.angleCorrelation(q, (0..<rows).map { Foundation.atan2(data.states[$0 * d + angle.y], data.states[$0 * d + angle.x]) })) }
            lines.append("mode \(mode + 1) (Q\(k + 1), omega \(TextPrinter.format(omega[k], significantDigits: 4))): " + zip(labels, cells).map { "\($0) \($1)" }.joined(separator: ", "))
        }
        if n > 12 { lines.append("(the \(n - 12) faster modes left out)") }
        return .text(lines.joined(separator: "\n"))
    }

    /// Pearson's r of `q` with an angle φ ∈ (−π, π], measured from a cut: every cut inside one
    /// gap between the sorted angles gives the same r, so the candidates are the middles of the
    /// 64 widest gaps, and the one of largest |r| is reported with its cut.
    static func angleCorrelation(_ q: [Double], _ phi: [Double]) -> String {
        let sorted = phi.sorted()
        guard sorted.count > 1 else { return "undefined" }
        var gaps = (0..<sorted.count).map { i -> (width: Double, middle: Double) in
            let (a, b) = (sorted[i], i + 1 < sorted.count ? sorted[i + 1] : sorted[0] + 2 * Double.pi)
            return (b - a, (a + b) / 2)
        }
        gaps.sort { $0.width > $1.width }
        var best: (r: Double, cut: Double)?
        for gap in gaps.prefix(64) {
            let c = gap.middle > Double.pi ? gap.middle - 2 * Double.pi : gap.middle
            let shifted = phi.map { $0 > c ? $0 - c : $0 - c + 2 * Double.pi }
            if let r = pearson(q, shifted), abs(r) > abs(best?.r ?? 0) { best = (r, c) }
        }
        return best.map { "\(TextPrinter.format($0.r, significantDigits: 3)) (cut at \(Int(($0.cut * 180 / Double.pi).rounded())) degrees)" } ?? "undefined"
    }

    /// Pearson's r of two series, nil when either is constant or a value is not finite.
    static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count, a.count > 1, (a + b).allSatisfy(\.isFinite) else { return nil }
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }
}
