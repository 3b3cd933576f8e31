import XCTest
import Symbolic
@testable import Fit
@testable import Learn

/// One real call into each system library, checked against an independent computation.
final class SystemLibraryTests: XCTestCase {
    func testGSLRecoversAnExactPolynomialAndAgreesWithNormalEquations() throws {
        // y = 1 - 2x + 3/4 x^2 sampled without noise: the coefficients come back to 1e-10.
        var rng = SeededGenerator(seed: 3)
        let n = 40
        let xs = (0..<n).map { _ in 4 * rng.uniform() - 2 }
        let design: [Double] = xs.flatMap { x -> [Double] in [1, x, x * x] }
        let ys = xs.map { 1 - 2 * $0 + 0.75 * $0 * $0 }
        let fit = try LeastSquares.solve(design: design, rows: n, columns: 3, targets: ys)
        for (got, want) in zip(fit.coefficients, [1, -2, 0.75]) { XCTAssertEqual(got, want, accuracy: 1e-10) }
        XCTAssertEqual(fit.effectiveRank, 3)
        XCTAssertLessThan(fit.residualSumOfSquares, 1e-20)

        // With noise, against the normal equations XᵀX c = Xᵀy solved by Cramer's rule.
        let noisy = ys.map { $0 + 0.01 * (rng.uniform() - 0.5) }
        let g = try LeastSquares.solve(design: design, rows: n, columns: 3, targets: noisy)
        var A = [[Double]](repeating: [0, 0, 0], count: 3), b = [0.0, 0, 0]
        for i in 0..<n { for r in 0..<3 {
            let xr: Double = design[3 * i + r]
            b[r] += xr * noisy[i]
            for c in 0..<3 { A[r][c] += xr * design[3 * i + c] }
        } }
        func det(_ m: [[Double]]) -> Double {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        }
        let d = det(A)
        for k in 0..<3 {
            var Ak = A
            for r in 0..<3 { Ak[r][k] = b[r] }
            XCTAssertEqual(g.coefficients[k], det(Ak) / d, accuracy: 1e-10)
        }
    }

    func testGSLReportsRankDeficiencyAndRefusesBadInput() throws {
        // Two identical columns: effective rank 2 of 3, and still a minimum-norm solution.
        let xs: [Double] = [0, 1, 2, 3, 4]
        let design: [Double] = xs.flatMap { x -> [Double] in [1, x, x] }
        let fit = try LeastSquares.solve(design: design, rows: 5, columns: 3, targets: xs.map { 2 + 4 * $0 })
        XCTAssertEqual(fit.effectiveRank, 2)
        XCTAssertEqual(fit.coefficients[1] + fit.coefficients[2], 4, accuracy: 1e-10)
        XCTAssertThrowsError(try LeastSquares.solve(design: [1, 2, 3, 4], rows: 1, columns: 4, targets: [1]))
        XCTAssertThrowsError(try LeastSquares.solve(design: [1, .nan, 1, 2], rows: 2, columns: 2, targets: [1, 2])) { e in
            XCTAssertTrue("\(e)".contains("sample 1, feature 2"), "\(e)")
        }
    }

    func testOpenBLASProductMatchesATripleLoop() {
        var rng = SeededGenerator(seed: 5)
        let a = Matrix(rows: 7, columns: 5, storage: (0..<35).map { _ in rng.uniform() - 0.5 })
        let b = Matrix(rows: 5, columns: 3, storage: (0..<15).map { _ in rng.uniform() - 0.5 })
        let c = a.multiplied(by: b)
        for i in 0..<7 { for j in 0..<3 {
            let want = (0..<5).reduce(0.0) { $0 + a[i, $1] * b[$1, j] }
            XCTAssertEqual(c[i, j], want, accuracy: 1e-14)
        } }
        // Aᵀ·A through the transpose flag equals the explicit sum.
        let g = a.multiplied(by: a, transposeSelf: true)
        XCTAssertEqual(g.rows, 5)
        XCTAssertEqual(g[1, 3], (0..<7).reduce(0.0) { $0 + a[$1, 1] * a[$1, 3] }, accuracy: 1e-14)
    }
}
