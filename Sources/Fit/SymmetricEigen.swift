import CGSL

/// The eigen-decomposition of a real symmetric matrix by GSL (`gsl_eigen_symmv`): eigenvalues in
/// increasing order with unit eigenvectors, each with its first component of largest magnitude
/// (to 1e-9) positive, so the signs are reproducible when components tie.
public enum SymmetricEigen {
    public static func decompose(_ matrix: [[Double]]) throws -> (values: [Double], vectors: [[Double]]) {
        let n = matrix.count
        guard n > 0, matrix.allSatisfy({ $0.count == n }) else { throw FitError(message: "an eigen-decomposition needs a square matrix") }
        guard matrix.joined().allSatisfy(\.isFinite) else { throw FitError(message: "the matrix has a value that is not finite") }
        for i in 0..<n { for j in 0..<i where abs(matrix[i][j] - matrix[j][i]) > 1e-12 * max(1, abs(matrix[i][j])) {
            throw FitError(message: "the matrix is not symmetric (entries \(i + 1),\(j + 1) and \(j + 1),\(i + 1) differ)")
        } }
        gsl_set_error_handler_off()
        guard let A = gsl_matrix_alloc(n, n), let values = gsl_vector_alloc(n), let vectors = gsl_matrix_alloc(n, n),
              let work = gsl_eigen_symmv_alloc(n) else { throw FitError(message: "out of memory for a \(n) x \(n) eigenproblem") }
        defer { gsl_matrix_free(A); gsl_vector_free(values); gsl_matrix_free(vectors); gsl_eigen_symmv_free(work) }
        for i in 0..<n { for j in 0..<n { gsl_matrix_set(A, i, j, matrix[i][j]) } }
        guard gsl_eigen_symmv(A, values, vectors, work) == 0 else { throw FitError(message: "GSL's symmetric eigensolver failed") }
        gsl_eigen_symmv_sort(values, vectors, GSL_EIGEN_SORT_VAL_ASC)
        let lambda = (0..<n).map { gsl_vector_get(values, $0) }
        let u = (0..<n).map { k -> [Double] in
            let v = (0..<n).map { gsl_matrix_get(vectors, $0, k) }
            let largest = v.map(abs).max()!
            let first = v.first { abs($0) >= largest - 1e-9 }!
            return first < 0 ? v.map { -$0 } : v
        }
        return (lambda, u)
    }
}
