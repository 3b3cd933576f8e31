import Foundation
import Fit
import Symbolic

/// `noether bench fit`: the workload of `shared/peers/sklearn_fit.py` — X ~ N(0, 1) of 10,000 × 8
/// (qx1 qy1 qx2 qy2 px1 py1 px2 py2), y = (px1 − px2)(qy1 − qy2) − (py1 − py2)(qx1 − qx2) +
/// 1e-3 N(0, 1); (a) one degree-2 fit on the 45 monomials, (b) degree selection over 1..4 on a
/// 70/30 split, (c) STLSQ at threshold 0.1. Medians of `runs`, with the recovered support.
public enum FitBenchmark {
    public static func run(runs: Int = 7) throws -> [String] {
        let names = ["qx1", "qy1", "qx2", "qy2", "px1", "py1", "px2", "py2"]
        let n = 10_000
        var rng = SeededGenerator(seed: 42)
        let X = (0..<(n * 8)).map { _ in rng.normal() }
        let y = (0..<n).map { i -> Double in
            let r = X[(i * 8)..<(i * 8 + 8)].map { $0 }
            let (qx1, qy1, qx2, qy2, px1, py1, px2, py2) = (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            return (px1 - px2) * (qy1 - qy2) - (py1 - py2) * (qx1 - qx2) + 1e-3 * rng.normal()
        }
        let truth = try Expr.parse("(px1 - px2)*(qy1 - qy2) - (py1 - py2)*(qx1 - qx2)").expand()
        func median(_ body: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<max(1, runs) {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return times.sorted()[times.count / 2]
        }
        var fit: PolynomialFit?
        let one = try median { fit = try PolynomialFit.fit(targets: y, states: X, columns: names) }
        var selection: DegreeSelection?
        let select = try median {
            selection = try DegreeSelection.select(variables: names, states: X, columns: names, targets: y, degrees: 1...4, heldOutFraction: 0.3, seed: 0)
        }
        var sindy = FitOptions()
        sindy.threshold = 0.1
        sindy.significance = 0
        var sparse: PolynomialFit?
        let stlsq = try median { sparse = try PolynomialFit.fit(targets: y, states: X, columns: names, options: sindy) }
        func describe(_ f: PolynomialFit) throws -> String {
            let exact = (try? f.exact()).map { Simplifier.isZero($0 - truth).isZero } ?? false
            return "support size \(f.support.count) (true 8), exact candidate \(exact ? "is" : "is NOT") the true L"
        }
        let errors = selection!.heldOutErrors.map { String(format: "%.2e", $0) }.joined(separator: ", ")
        return [String(format: "degree-2 fit: %.1f ms (median of %d; 10000 x 45, significance pruning and refit included); ", one, runs) + (try describe(fit!)),
                String(format: "degree selection 1..4: %.1f ms (70/30 split; test MSE by degree %@; chosen %d)", select, errors, selection!.chosen),
                String(format: "degree-2 STLSQ (threshold 0.1): %.1f ms; ", stlsq) + (try describe(sparse!))]
    }
}
