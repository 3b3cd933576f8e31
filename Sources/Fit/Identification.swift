import CGSL
import Foundation

/// A quantity expressed in the span of known ones: y ≈ b + Σ aᵢ Iᵢ.
public struct Identification: Sendable {
    public var names: [String]
    public var coefficients: [Double]
    public var standardErrors: [Double]
    public var intercept: Double
    /// Root mean square of the residual.
    public var residualRMS: Double
    /// 1 − RSS / Σ (y − ȳ)².
    public var rSquared: Double

    /// Fits y on [1, I₁, …, I_k] (a learned coordinate is defined up to an offset).
    public static func identify(_ y: [Double], in invariants: [[Double]], names: [String]) throws -> Identification {
        let n = y.count, k = invariants.count
        guard k > 0, invariants.allSatisfy({ $0.count == n }) else { throw FitError(message: "identify needs invariants evaluated on the same \(n) samples") }
        var design = [Double](repeating: 1, count: n * (k + 1))
        for i in 0..<n { for j in 0..<k { design[i * (k + 1) + j + 1] = invariants[j][i] } }
        let r = try LeastSquares.fit(design: design, rows: n, columns: k + 1, targets: y)
        let mean = y.reduce(0, +) / Double(n)
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return Identification(names: names, coefficients: Array(r.coefficients.dropFirst()), standardErrors: Array(r.standardErrors.dropFirst()),
                              intercept: r.coefficients[0], residualRMS: (r.residualSumOfSquares / Double(n)).squareRoot(),
                              rSquared: total > 0 ? 1 - r.residualSumOfSquares / total : (r.residualSumOfSquares == 0 ? 1 : 0))
    }

    /// Principal angles (radians, ascending) between the spans of two sets of centred columns
    /// sampled on the same points. Orthonormal bases by Householder QR (GSL); the cosines are the
    /// singular values of Q_aᵀ Q_b and the sines those of Q_a − Q_b Q_bᵀ Q_a (GSL's SVD). Each
    /// angle comes from its sine below π/4 and its cosine above, accurate at both ends.
    public static func principalAngles(_ a: [[Double]], _ b: [[Double]]) throws -> [Double] {
        var qa = try orthonormalBasis(a), qb = try orthonormalBasis(b)
        if qa.count > qb.count { swap(&qa, &qb) }
        let n = qa[0].count, ka = qa.count, kb = qb.count
        func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
        let M = (0..<kb).map { j in (0..<ka).map { i in dot(qb[j], qa[i]) } }  // kb × ka = Q_bᵀ Q_a
        var residual: [[Double]] = qa
        for i in 0..<ka { for j in 0..<kb { for t in 0..<n { residual[i][t] -= qb[j][t] * M[j][i] } } }
        let cosines = try singularValues(M), sines = try singularValues((0..<n).map { t in (0..<ka).map { residual[$0][t] } })
        let fromCos = cosines.map { acos(min(1, max(-1, $0))) }.sorted(), fromSin = sines.map { asin(min(1, $0)) }.sorted()
        return zip(fromSin, fromCos).map { $0 < Double.pi / 4 ? $0 : $1 }
    }

    /// Singular values of a rows × columns matrix given as rows (rows ≥ columns).
    static func singularValues(_ rows: [[Double]]) throws -> [Double] {
        let r = rows.count, c = rows.first?.count ?? 0
        guard r >= c, c > 0, let A = gsl_matrix_alloc(r, c), let V = gsl_matrix_alloc(c, c), let S = gsl_vector_alloc(c), let w = gsl_vector_alloc(c) else {
            throw FitError(message: "singular values of a \(r) x \(c) matrix: not supported")
        }
        defer { gsl_matrix_free(A); gsl_matrix_free(V); gsl_vector_free(S); gsl_vector_free(w) }
        for i in 0..<r { for j in 0..<c { gsl_matrix_set(A, i, j, rows[i][j]) } }
        guard gsl_linalg_SV_decomp(A, V, S, w) == GSL_SUCCESS else { throw FitError(message: "GSL's SVD did not converge") }
        return (0..<c).map { gsl_vector_get(S, $0) }
    }

    /// Centred columns orthonormalised by Householder QR (GSL); the first k columns of Q are
    /// formed by applying Q to unit vectors (never the n × n matrix). Dependent columns are an
    /// error.
    static func orthonormalBasis(_ columns: [[Double]]) throws -> [[Double]] {
        let n = columns.first?.count ?? 0, k = columns.count
        guard k > 0, n > k, columns.allSatisfy({ $0.count == n }) else { throw FitError(message: "principal angles need more samples than columns, on the same samples") }
        guard let A = gsl_matrix_alloc(n, k), let tau = gsl_vector_alloc(k), let v = gsl_vector_alloc(n) else { throw FitError(message: "out of memory") }
        defer { gsl_matrix_free(A); gsl_vector_free(tau); gsl_vector_free(v) }
        var norms: [Double] = []
        for (j, col) in columns.enumerated() {
            let mean = col.reduce(0, +) / Double(n)
            for i in 0..<n { gsl_matrix_set(A, i, j, col[i] - mean) }
            norms.append(col.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }.squareRoot())
        }
        guard gsl_linalg_QR_decomp(A, tau) == GSL_SUCCESS else { throw FitError(message: "GSL's QR failed") }
        for j in 0..<k where abs(gsl_matrix_get(A, j, j)) <= 1e-10 * max(norms[j], 1e-300) {
            throw FitError(message: "column \(j + 1) is (after centring) a combination of the others: the span is not \(k)-dimensional")
        }
        return (0..<k).map { j in
            gsl_vector_set_zero(v)
            gsl_vector_set(v, j, 1)
            _ = gsl_linalg_QR_Qvec(A, tau, v)
            return (0..<n).map { gsl_vector_get(v, $0) }
        }
    }
}
