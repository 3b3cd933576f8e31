import Symbolic

/// Seeded weight initialisation.
public enum Initializer: String, Sendable, CaseIterable {
    /// Glorot & Bengio: uniform in ±sqrt(6/(fan_in + fan_out)).
    case xavier
    /// A random orthogonal matrix (the SCNN paper found it best), by Gram–Schmidt on Gaussian
    /// columns; rectangular matrices get orthonormal rows or columns, whichever are fewer.
    case orthogonal

    public func matrix(rows: Int, columns: Int, _ rng: inout SeededGenerator) -> Tensor {
        switch self {
        case .xavier:
            let limit = (6.0 / Double(rows + columns)).squareRoot()
            return Tensor(shape: [rows, columns], storage: (0..<(rows * columns)).map { _ in rng.uniform(-limit, limit) })
        case .orthogonal:
            // Orthonormalise the shorter side's vectors of a Gaussian matrix.
            let (n, m) = rows >= columns ? (rows, columns) : (columns, rows)  // m vectors of length n
            var vectors = (0..<m).map { _ in (0..<n).map { _ in rng.normal() } }
            for i in 0..<m {
                for j in 0..<i {
                    let dot = zip(vectors[i], vectors[j]).reduce(0) { $0 + $1.0 * $1.1 }
                    vectors[i] = zip(vectors[i], vectors[j]).map { $0 - dot * $1 }
                }
                let norm = vectors[i].reduce(0) { $0 + $1 * $1 }.squareRoot()
                vectors[i] = vectors[i].map { $0 / norm }
            }
            var storage = [Double](repeating: 0, count: rows * columns)
            for i in 0..<rows { for j in 0..<columns {
                storage[i * columns + j] = rows >= columns ? vectors[j][i] : vectors[i][j]
            } }
            return Tensor(shape: [rows, columns], storage: storage)
        }
    }
}
