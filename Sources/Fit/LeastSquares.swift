import CGSL
import COpenBLAS

/// Why a least-squares problem was refused.
public struct FitError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// The solution of min ‖X c − y‖² by GSL's column-scaled SVD (`gsl_multifit_linear_tsvd`):
/// singular values below `tolerance` times the largest are truncated, which is what makes a
/// rank-deficient design solvable, and the effective rank is reported.
public struct LeastSquaresSolution: Sendable {
    public var coefficients: [Double]
    /// Σ (y − X c)².
    public var residualSumOfSquares: Double
    /// The number of singular values kept.
    public var effectiveRank: Int
    /// Covariance of the coefficients, row-major p × p (scaled by the residual variance).
    public var covariance: [Double]
}

public enum LeastSquares {
    /// Solves for a design given row-major as `rows` × `columns`. Fails clearly on NaN,
    /// on more columns than rows, or on mismatched sizes — never returns a silent garbage fit.
    public static func solve(design: [Double], rows: Int, columns: Int, targets: [Double],
                             tolerance: Double = 1e-12) throws -> LeastSquaresSolution {
        try validate(design: design, rows: rows, columns: columns, targets: targets)
        // GSL's products go to OpenBLAS's cblas when it is loaded; one thread keeps their sums in
        // one order, so a fit gives the same digits on any number of cores.
        openblas_set_num_threads(1)
        gsl_set_error_handler_off()
        guard let X = gsl_matrix_alloc(rows, columns), let y = gsl_vector_alloc(rows),
              let c = gsl_vector_alloc(columns), let cov = gsl_matrix_alloc(columns, columns),
              let work = gsl_multifit_linear_alloc(rows, columns) else {
            throw FitError(message: "out of memory for a \(rows) x \(columns) fit")
        }
        defer { gsl_matrix_free(X); gsl_vector_free(y); gsl_vector_free(c); gsl_matrix_free(cov); gsl_multifit_linear_free(work) }
        for i in 0..<rows {
            for j in 0..<columns { gsl_matrix_set(X, i, j, design[i * columns + j]) }
            gsl_vector_set(y, i, targets[i])
        }
        var chisq = 0.0
        var rank = 0
        let status = gsl_multifit_linear_tsvd(X, y, tolerance, c, cov, &chisq, &rank, work)
        guard status == GSL_SUCCESS else {
            throw FitError(message: "GSL could not solve the least-squares problem: \(String(cString: gsl_strerror(status)))")
        }
        return LeastSquaresSolution(
            coefficients: (0..<columns).map { gsl_vector_get(c, $0) },
            residualSumOfSquares: chisq,
            effectiveRank: rank,
            covariance: (0..<columns * columns).map { gsl_matrix_get(cov, $0 / columns, $0 % columns) })
    }
}
