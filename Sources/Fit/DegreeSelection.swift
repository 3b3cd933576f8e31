import CGSL
import COpenBLAS
import Foundation
import Symbolic

/// SCNN appendix E, done properly: fit every degree on training rows, score on held-out rows
/// (k-fold or one held-out fraction), and pick the lowest degree whose held-out error has
/// stopped improving.
public struct DegreeSelection: Sendable {
    public var degrees: [Int]
    public var features: [Int]
    /// Mean held-out squared error per degree.
    public var heldOutErrors: [Double]
    /// Mean training squared error per degree.
    public var trainingErrors: [Double]
    public var chosen: Int
    /// "5-fold" or "30% held out".
    public var scheme: String

    /// The lowest degree whose held-out error is within 5 % of the best (plus a floor of 1e-10
    /// of the target's mean square, so exact fits at round-off level count as equal).
    static func choose(_ degrees: [Int], _ errors: [Double], floor: Double) -> Int {
        let best = errors.min() ?? 0
        return degrees[errors.firstIndex { $0 <= best * 1.05 + floor } ?? 0]
    }

    /// The table's header and its row for each degree (the chosen one marked), as `table`
    /// prints them and a front end draws them.
    public var header: [String] { ["degree", "features", "train MSE", "held-out MSE (\(scheme))", ""] }
    public var rows: [[String]] {
        degrees.indices.map { k in
            [String(degrees[k]), String(features[k]), String(format: "%.3e", trainingErrors[k]), String(format: "%.3e", heldOutErrors[k]),
             degrees[k] == chosen ? "<- chosen" : ""]
        }
    }

    /// The table, one line per degree, the chosen one marked.
    public var table: String {
        func right(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        return (["degree  features  train MSE   held-out MSE (\(scheme))"] + rows.map { r in
            [right(r[0], 6), right(r[1], 8), right(r[2], 10), right(r[3], 10)].joined(separator: "  ") + (r[4].isEmpty ? "" : "  " + r[4])
        }).joined(separator: "\n")
    }

    /// Selects a degree in `degrees` for monomials in `variables`. The design of
    /// the largest degree is built once, rows shuffled (seeded) into folds; each fold's XᵀX
    /// comes from one BLAS `dsyrk`, a training set's is the total minus its fold's, and a lower
    /// degree's is a leading block (graded order), so every fit is a small Cholesky solve.
    public static func select(variables: [String], states: [Double], columns: [String], targets: [Double],
                              degrees: ClosedRange<Int>, folds: Int = 5, heldOutFraction: Double? = nil,
                              seed: UInt64 = 0) throws -> DegreeSelection {
        let n = targets.count
        guard n > 1 else { throw FitError(message: "degree selection needs at least 2 samples") }
        let width = columns.count
        guard states.count == n * width else { throw FitError(message: "\(targets.count) targets for \(states.count / max(1, width)) samples") }
        // Seeded shuffle of the samples (states are narrow; the wide design is built once, in
        // shuffled order), then contiguous blocks.
        var rng = SeededGenerator(seed: seed)
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        var shuffled = [Double](repeating: 0, count: n * width), y = [Double](repeating: 0, count: n)
        for (r, i) in order.enumerated() {
            for j in 0..<width { shuffled[r * width + j] = states[i * width + j] }
            y[r] = targets[i]
        }
        let top = try MonomialBasis(variables: variables, degree: degrees.upperBound)
        let X = try top.design(states: shuffled, columns: columns)
        let P = top.count
        try LeastSquares.validate(design: X, rows: n, columns: P, targets: y)
        var blocks: [Range<Int>]
        let scheme: String
        if let f = heldOutFraction {
            guard f > 0 && f < 1 else { throw FitError(message: "the held-out fraction must be between 0 and 1") }
            let test = max(1, Int((Double(n) * f).rounded()))
            blocks = [0..<test, test..<n]
            scheme = "\(Int((f * 100).rounded()))% held out"
        } else {
            guard folds >= 2 && folds <= n else { throw FitError(message: "k-fold needs 2 ≤ k ≤ samples (\(n)), got \(folds)") }
            blocks = (0..<folds).map { (($0 * n) / folds)..<((($0 + 1) * n) / folds) }
            scheme = "\(folds)-fold"
        }
        func gram(_ b: Range<Int>) -> Gram {
            X.withUnsafeBufferPointer { xs in
                y.withUnsafeBufferPointer { ys in Gram(design: xs.baseAddress! + b.lowerBound * P, rows: b.count, columns: P, targets: ys.baseAddress! + b.lowerBound) }
            }
        }
        // k-fold: each fold's Gram once, a training set's is the total minus its fold's. One
        // held-out block: only the training block's Gram.
        let trainingGrams: [Gram]
        if heldOutFraction == nil {
            let grams = blocks.map(gram)
            var total = grams[0]
            for g in grams.dropFirst() { total = Gram(matrix: zip(total.matrix, g.matrix).map(+), rhs: zip(total.rhs, g.rhs).map(+), columns: P, rows: total.rows + g.rows) }
            trainingGrams = grams.map { total - $0 }
        } else {
            trainingGrams = [gram(blocks[1])]
        }
        // With a held-out fraction only the first block is scored.
        let scored = heldOutFraction == nil ? Array(blocks.indices) : [0]
        var heldOut: [Double] = [], training: [Double] = [], features: [Int] = []
        for d in degrees {
            let p = top.count(upTo: d)
            let trainingRows = heldOutFraction == nil ? n - (blocks.map(\.count).max() ?? 0) : blocks[1].count
            guard trainingRows >= p else {
                throw FitError(message: "degree \(d) has \(p) features but a training set has only \(trainingRows) samples: lower the degree or add data")
            }
            var testSum = 0.0, testCount = 0, trainSum = 0.0, trainCount = 0
            for f in scored {
                let trainGram = trainingGrams[f].leading(p)
                let c: [Double]
                if let solved = trainGram.solve(wantInverse: false) { c = solved.c } else {
                    // Ill-conditioned: the SVD path on the training rows.
                    var rows: [Double] = [], targets: [Double] = []
                    for (k, b) in blocks.enumerated() where k != f { for r in b { rows += X[(r * P)..<(r * P + p)]; targets.append(y[r]) } }
                    c = try LeastSquares.fit(design: rows, rows: targets.count, columns: p, targets: targets).coefficients
                }
                for (k, b) in blocks.enumerated() {
                    // Residuals of the block: y − X[b, :p] c by BLAS dgemv.
                    var residual = Array(y[b])
                    X.withUnsafeBufferPointer { xs in
                        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(b.count), Int32(p), -1, xs.baseAddress! + b.lowerBound * P, Int32(P), c, 1, 1, &residual, 1)
                    }
                    let sum = residual.reduce(0) { $0 + $1 * $1 }
                    if k == f { testSum += sum; testCount += b.count } else { trainSum += sum; trainCount += b.count }
                }
            }
            heldOut.append(testSum / Double(testCount))
            training.append(trainSum / Double(max(1, trainCount)))
            features.append(p)
        }
        let floor = 1e-10 * y.reduce(0) { $0 + $1 * $1 } / Double(n)
        return DegreeSelection(degrees: Array(degrees), features: features, heldOutErrors: heldOut, trainingErrors: training,
                               chosen: choose(Array(degrees), heldOut, floor: floor), scheme: scheme)
    }
}
