import CGSL
import COpenBLAS
import Foundation

/// How to regularise a least-squares fit (λ is for the column-scaled design).
public enum Regularization: Sendable, Equatable {
    case none
    /// Ridge with a given λ.
    case ridge(Double)
    /// Ridge with λ minimising generalised cross-validation (`gsl_multifit_linear_gcv`),
    /// checked against λ = 0: GSL searches λ only between the smallest and largest singular
    /// values, and a boundary λ can shrink true coefficients.
    case gcv
    /// Ridge with λ at the corner of the L-curve (`gsl_multifit_linear_lcurve` / `_lcorner`).
    case lcurve
}

/// A solved linear least-squares problem min ‖W^½ (X c − y)‖² (+ λ² ‖D⁻¹c‖² with ridge).
public struct Regression: Sendable {
    public var coefficients: [Double]
    /// One standard error per coefficient, from σ̂² (XᵀX)⁻¹ with σ̂² = RSS / (n − rank).
    public var standardErrors: [Double]
    /// Σ w (y − X c)².
    public var residualSumOfSquares: Double
    public var rows: Int
    public var effectiveRank: Int
    /// Condition number of the column-scaled design (ratio of extreme singular values; from
    /// the Cholesky factor's reciprocal condition estimate on the fast path).
    public var conditionNumber: Double
    /// The ridge parameter used (0 without ridge).
    public var lambda: Double
    /// How it was solved.
    public var method: String
    /// Anything the user should know (a rejected GCV λ, truncated singular values).
    public var notes: [String]

    public var meanSquaredError: Double { residualSumOfSquares / Double(max(1, rows)) }
}

extension LeastSquares {
    /// Fits `targets` ≈ design · c for a row-major design (rows × columns).
    ///
    /// Columns are scaled to unit norm first. Without ridge, XᵀX is formed with BLAS `dsyrk`
    /// and solved by GSL's Cholesky factorisation when the scaled design is well conditioned
    /// (κ ≤ 10⁵); otherwise, or when it is rank-deficient, by GSL's truncated SVD of the design
    /// itself, reporting the effective rank. Ridge goes through GSL's SVD (`gsl_multifit_linear_svd`).
    /// Weights multiply the squared residuals (GSL's `wlinear` convention).
    public static func fit(design: [Double], rows: Int, columns: Int, targets: [Double], weights: [Double]? = nil,
                           regularization: Regularization = .none) throws -> Regression {
        try validate(design: design, rows: rows, columns: columns, targets: targets)
        var X = design, y = targets
        if let w = weights {
            guard w.count == rows else { throw FitError(message: "\(w.count) weights for \(rows) samples") }
            if let bad = w.firstIndex(where: { !($0.isFinite && $0 >= 0) }) { throw FitError(message: "weight \(bad + 1) is \(w[bad]); weights must be finite and ≥ 0") }
            for i in 0..<rows {
                let s = w[i].squareRoot()
                y[i] *= s
                for j in 0..<columns { X[i * columns + j] *= s }
            }
        }
        let gram = Gram(design: X, rows: rows, columns: columns, targets: y)
        if let zero = gram.diagonal.firstIndex(of: 0) {
            var r = try svdFit(X, rows, columns, y, regularization, scale: gram.scale)
            r.notes.insert("column \(zero + 1) is identically zero on the data", at: 0)
            return r
        }
        if regularization == .none, let r = try gram.choleskyFit(design: X, targets: y) { return r }
        return try svdFit(X, rows, columns, y, regularization, scale: gram.scale)
    }

    static func validate(design: [Double], rows: Int, columns: Int, targets: [Double]) throws {
        guard rows > 0, columns > 0, design.count == rows * columns, targets.count == rows else {
            throw FitError(message: "the design is \(rows) x \(columns) but holds \(design.count) numbers for \(targets.count) targets")
        }
        guard rows >= columns else {
            throw FitError(message: "more features (\(columns)) than samples (\(rows)): the fit is underdetermined; lower the degree or add data")
        }
        if let bad = design.firstIndex(where: { !$0.isFinite }) {
            throw FitError(message: "the data has a non-finite value (\(design[bad])) at sample \(bad / columns + 1), feature \(bad % columns + 1)")
        }
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw FitError(message: "the target is \(targets[bad].isNaN ? "NaN" : "\(targets[bad])") at sample \(bad + 1): it must be finite everywhere")
        }
    }

    /// The SVD path: GSL on the column-scaled design, truncated (rank-revealing) or ridge.
    static func svdFit(_ X: [Double], _ rows: Int, _ columns: Int, _ y: [Double], _ regularization: Regularization, scale: [Double]) throws -> Regression {
        gsl_set_error_handler_off()
        guard let A = gsl_matrix_alloc(rows, columns), let yv = gsl_vector_alloc(rows),
              let work = gsl_multifit_linear_alloc(rows, columns) else { throw FitError(message: "out of memory for a \(rows) x \(columns) fit") }
        defer { gsl_matrix_free(A); gsl_vector_free(yv); gsl_multifit_linear_free(work) }
        for i in 0..<rows {
            for j in 0..<columns { A.pointee.data[i * A.pointee.tda + j] = X[i * columns + j] * scale[j] }
            yv.pointee.data[i * yv.pointee.stride] = y[i]
        }
        // A tall design without a λ search is first reduced by LAPACK's blocked QR, A = QR, and
        // only R (columns × columns) goes through GSL's SVD, R = U_R S Vᵀ: A's singular values
        // and V are R's, and Uᵀy = U_Rᵀ(Qᵀy). GSL's one-sided SVD of the whole design is
        // unblocked and forms U (rows × columns): 50,000 × 165 took seconds a call, and degree
        // selection makes one per fold and degree. GCV and the L-curve need GSL's full workspace.
        let searchesLambda = regularization == .gcv || regularization == .lcurve
        let reduced = !searchesLambda && rows >= 4 * columns ? try Self.qrReduced(A, rows: rows, columns: columns, y: y) : nil
        defer { if let reduced { gsl_matrix_free(reduced.r); gsl_multifit_linear_free(reduced.work) } }
        let svd = reduced?.work ?? work
        guard gsl_multifit_linear_svd(reduced?.r ?? A, svd) == GSL_SUCCESS else { throw FitError(message: "GSL's SVD of the design did not converge") }
        let S = (0..<columns).map { gsl_vector_get(svd.pointee.S, $0) }
        let smax = S.max() ?? 0, tolerance = 1e-12 * smax
        let kept = S.filter { $0 > tolerance }
        let rank = kept.count
        var notes: [String] = []
        if rank < columns { notes.append("rank-deficient design: \(columns - rank) of \(columns) singular values below 1e-12 of the largest were truncated") }
        // GCV function G(λ) = ‖y − X c_λ‖² / (n − Σ f_i)², f_i = s_i² / (s_i² + λ²).
        // With A = U S Vᵀ (V in svd.Q), c_λ = Σ_{s_i kept} f_i (u_iᵀy / s_i) v_i:
        // ridge when λ > 0, the truncated (rank-revealing) solution when λ = 0. Computed here from
        // the one decomposition, so every λ tried sees the same SVD.
        var uty = [Double](repeating: 0, count: columns)
        if let reduced {
            for i in 0..<columns { for k in 0..<columns { uty[i] += gsl_matrix_get(svd.pointee.A, k, i) * reduced.qty[k] } }
        } else {
            for i in 0..<columns { for r in 0..<rows { uty[i] += gsl_matrix_get(work.pointee.A, r, i) * y[r] } }
        }
        func solve(_ lambda: Double) -> (c: [Double], rss: Double, dof: Double) {
            var z = [Double](repeating: 0, count: columns), dof = 0.0
            for i in 0..<columns where S[i] > tolerance {
                let f = S[i] * S[i] / (S[i] * S[i] + lambda * lambda)
                dof += f
                for j in 0..<columns { z[j] += f * uty[i] / S[i] * gsl_matrix_get(svd.pointee.Q, j, i) }
            }
            // Residual of the scaled problem, directly.
            var rss = 0.0
            for r in 0..<rows {
                var pred = 0.0
                for j in 0..<columns { pred += gsl_matrix_get(A, r, j) * z[j] }
                rss += (y[r] - pred) * (y[r] - pred)
            }
            return (z, rss, dof)
        }
        var lambda = 0.0
        switch regularization {
        case .none: break
        case .ridge(let l):
            guard l >= 0 && l.isFinite else { throw FitError(message: "the ridge parameter must be ≥ 0, got \(l)") }
            lambda = l
        case .gcv:
            guard let reg = gsl_vector_alloc(200), let G = gsl_vector_alloc(200) else { throw FitError(message: "out of memory") }
            defer { gsl_vector_free(reg); gsl_vector_free(G) }
            var best = 0.0, gBest = 0.0
            guard gsl_multifit_linear_gcv(yv, reg, G, &best, &gBest, work) == GSL_SUCCESS else { throw FitError(message: "GSL's GCV search failed") }
            let n = Double(rows)
            let atBest = solve(best), atZero = solve(0)
            let gAtBest = atBest.rss / pow(n - atBest.dof, 2), gAtZero = atZero.rss / pow(n - atZero.dof, 2)
            if gAtZero <= gAtBest {
                notes.append(String(format: "GCV's λ = %.3g (G = %.4g) rejected: λ = 0 has G = %.4g", best, gAtBest, gAtZero))
            } else {
                lambda = best
            }
        case .lcurve:
            guard let reg = gsl_vector_alloc(200), let rho = gsl_vector_alloc(200), let eta = gsl_vector_alloc(200) else { throw FitError(message: "out of memory") }
            defer { gsl_vector_free(reg); gsl_vector_free(rho); gsl_vector_free(eta) }
            guard gsl_multifit_linear_lcurve(yv, reg, rho, eta, work) == GSL_SUCCESS else { throw FitError(message: "GSL's L-curve failed") }
            var idx = 0
            guard gsl_multifit_linear_lcorner(rho, eta, &idx) == GSL_SUCCESS else { throw FitError(message: "GSL found no L-curve corner") }
            lambda = gsl_vector_get(reg, idx)
            notes.append(String(format: "L-curve corner at λ = %.3g", lambda))
        }
        let (z0, rss, dof) = solve(lambda)
        let n = Double(rows)
        let sigma2 = n - dof > 0 ? rss / (n - dof) : 0
        // Var(z) = σ² V diag(f_i² / s_i²) Vᵀ (V = svd.Q), then c = D z.
        var errors = [Double](repeating: 0, count: columns)
        for j in 0..<columns {
            var v = 0.0
            for i in 0..<columns where S[i] > tolerance {
                let f = S[i] * S[i] / (S[i] * S[i] + lambda * lambda)
                let q = gsl_matrix_get(svd.pointee.Q, j, i)
                v += q * q * f * f / (S[i] * S[i])
            }
            errors[j] = (sigma2 * v).squareRoot() * scale[j]
        }
        return Regression(coefficients: zip(z0, scale).map(*), standardErrors: errors, residualSumOfSquares: rss, rows: rows,
                          effectiveRank: rank, conditionNumber: smax / (S.filter { $0 > tolerance }.min() ?? smax),
                          lambda: lambda, method: lambda > 0 ? "ridge through GSL's SVD" : (rank < columns ? "GSL's SVD, truncated" : "GSL's SVD"), notes: notes)
    }
}

extension LeastSquares {
    /// R of A = QR (LAPACK `dgeqrf` on a column-major copy of the GSL matrix A, rows × columns)
    /// as a GSL matrix, the first `columns` entries of Qᵀy (`dormqr`), and a GSL workspace sized
    /// for R's SVD.
    static func qrReduced(_ A: UnsafeMutablePointer<gsl_matrix>, rows: Int, columns: Int, y: [Double])
        throws -> (r: UnsafeMutablePointer<gsl_matrix>, qty: [Double], work: UnsafeMutablePointer<gsl_multifit_linear_workspace>) {
        var a = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows { for j in 0..<columns { a[j * rows + i] = A.pointee.data[i * A.pointee.tda + j] } }
        var m = Int32(rows), n = Int32(columns), lda = Int32(rows), ldc = Int32(rows), info: Int32 = 0, one: Int32 = 1
        var tau = [Double](repeating: 0, count: columns), qty = y
        // Workspace queries first (lwork = −1), then the factorisation and Qᵀy.
        var size = 0.0, lwork: Int32 = -1
        dgeqrf_(&m, &n, &a, &lda, &tau, &size, &lwork, &info)
        var side = Int8(UInt8(ascii: "L")), trans = Int8(UInt8(ascii: "T"))
        var sizeQ = 0.0
        dormqr_(&side, &trans, &m, &one, &n, &a, &lda, &tau, &qty, &ldc, &sizeQ, &lwork, &info)
        lwork = Int32(max(size, sizeQ, Double(columns)))
        var scratch = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&m, &n, &a, &lda, &tau, &scratch, &lwork, &info)
        guard info == 0 else { throw FitError(message: "LAPACK's QR of the design failed (info \(info))") }
        dormqr_(&side, &trans, &m, &one, &n, &a, &lda, &tau, &qty, &ldc, &scratch, &lwork, &info)
        guard info == 0 else { throw FitError(message: "LAPACK's Qᵀy failed (info \(info))") }
        guard let r = gsl_matrix_calloc(columns, columns), let work = gsl_multifit_linear_alloc(columns, columns) else {
            throw FitError(message: "out of memory for a \(columns) x \(columns) SVD")
        }
        for i in 0..<columns { for j in i..<columns { gsl_matrix_set(r, i, j, a[j * rows + i]) } }
        return (r, Array(qty[..<columns]), work)
    }
}

/// XᵀX and Xᵀy of a design, formed with BLAS, and its column scaling.
struct Gram {
    var matrix: [Double]
    var rhs: [Double]
    let columns: Int
    let rows: Int

    init(design X: [Double], rows: Int, columns p: Int, targets y: [Double]) {
        self = X.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { Gram(design: x.baseAddress!, rows: rows, columns: p, targets: $0.baseAddress!) } }
    }

    /// From rows × p design values at `X` (row stride p) and their targets.
    init(design X: UnsafePointer<Double>, rows: Int, columns p: Int, targets y: UnsafePointer<Double>) {
        self.columns = p
        self.rows = rows
        var G = [Double](repeating: 0, count: p * p), b = [Double](repeating: 0, count: p)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(p), Int32(rows), 1, X, Int32(p), 0, &G, Int32(p))
        for i in 0..<p { for j in 0..<i { G[i * p + j] = G[j * p + i] } }
        cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(p), 1, X, Int32(p), y, 1, 0, &b, 1)
        matrix = G
        rhs = b
    }

    init(matrix: [Double], rhs: [Double], columns: Int, rows: Int) {
        self.matrix = matrix; self.rhs = rhs; self.columns = columns; self.rows = rows
    }

    var diagonal: [Double] { (0..<columns).map { matrix[$0 * columns + $0] } }
    /// 1/‖column‖ (1 for a zero column).
    var scale: [Double] { diagonal.map { $0 > 0 ? 1 / $0.squareRoot() : 1 } }

    /// The leading k × k block (the columns of a lower degree).
    func leading(_ k: Int) -> Gram {
        var m = [Double](repeating: 0, count: k * k)
        for i in 0..<k { for j in 0..<k { m[i * k + j] = matrix[i * columns + j] } }
        return Gram(matrix: m, rhs: Array(rhs.prefix(k)), columns: k, rows: rows)
    }

    static func - (a: Gram, b: Gram) -> Gram {
        Gram(matrix: zip(a.matrix, b.matrix).map(-), rhs: zip(a.rhs, b.rhs).map(-), columns: a.columns, rows: a.rows - b.rows)
    }

    /// Solves the scaled normal equations by Cholesky (GSL). Nil when the scaled matrix is not
    /// positive definite or its condition number exceeds 10¹⁰ (κ of the design above 10⁵):
    /// then the SVD path is the accurate one.
    func solve(wantInverse: Bool) -> (c: [Double], inverse: [Double]?, condition: Double)? {
        let p = columns, d = scale
        gsl_set_error_handler_off()
        guard let L = gsl_matrix_alloc(p, p), let bv = gsl_vector_alloc(p), let z = gsl_vector_alloc(p), let w = gsl_vector_alloc(3 * p) else { return nil }
        defer { gsl_matrix_free(L); gsl_vector_free(bv); gsl_vector_free(z); gsl_vector_free(w) }
        for i in 0..<p {
            for j in 0..<p { L.pointee.data[i * L.pointee.tda + j] = matrix[i * p + j] * d[i] * d[j] }
            gsl_vector_set(bv, i, rhs[i] * d[i])
        }
        guard gsl_linalg_cholesky_decomp1(L) == GSL_SUCCESS else { return nil }
        var rcond = 0.0
        guard gsl_linalg_cholesky_rcond(L, &rcond, w) == GSL_SUCCESS, rcond > 1e-10 else { return nil }
        guard gsl_linalg_cholesky_solve(L, bv, z) == GSL_SUCCESS else { return nil }
        let c = (0..<p).map { gsl_vector_get(z, $0) * d[$0] }
        var inverse: [Double]?
        if wantInverse, gsl_linalg_cholesky_invert(L) == GSL_SUCCESS {
            inverse = (0..<(p * p)).map { gsl_matrix_get(L, $0 / p, $0 % p) * d[$0 / p] * d[$0 % p] }
        }
        return (c, inverse, (1 / rcond).squareRoot())
    }

    /// The fast path of `LeastSquares.fit` (nil: use the SVD path).
    func choleskyFit(design X: [Double], targets y: [Double]) throws -> Regression? {
        guard let (c, inverse, condition) = solve(wantInverse: true), let inverse else { return nil }
        let p = columns
        // Residuals directly (not yᵀy − 2cᵀXᵀy + cᵀGc, which cancels catastrophically for exact fits).
        var r = y
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(p), -1, X, Int32(p), c, 1, 1, &r, 1)
        let rss = r.reduce(0) { $0 + $1 * $1 }
        let sigma2 = rows > p ? rss / Double(rows - p) : 0
        return Regression(coefficients: c, standardErrors: (0..<p).map { (sigma2 * max(0, inverse[$0 * p + $0])).squareRoot() },
                          residualSumOfSquares: rss, rows: rows, effectiveRank: p, conditionNumber: condition, lambda: 0,
                          method: "normal equations (BLAS dsyrk, GSL Cholesky, scaled columns)", notes: [])
    }
}
