import COpenBLAS

/// A dense row-major matrix of doubles; products go to OpenBLAS on one thread
/// (the machine's two vCPUs give about one core of throughput together).
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public var storage: [Double]

    public init(rows: Int, columns: Int, storage: [Double]) {
        precondition(storage.count == rows * columns, "storage does not match the shape")
        self.rows = rows; self.columns = columns; self.storage = storage
    }

    public init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, storage: Array(repeating: 0, count: rows * columns))
    }

    public subscript(i: Int, j: Int) -> Double {
        get { storage[i * columns + j] }
        set { storage[i * columns + j] = newValue }
    }

    nonisolated(unsafe) private static var threadsConfigured = false

    /// self · other through `cblas_dgemm`, with transposes as flags, never materialised.
    public func multiplied(by other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
        if !Matrix.threadsConfigured { openblas_set_num_threads(1); Matrix.threadsConfigured = true }
        let (m, k) = transposeSelf ? (columns, rows) : (rows, columns)
        let (k2, n) = transposeOther ? (other.columns, other.rows) : (other.rows, other.columns)
        precondition(k == k2, "inner dimensions differ: \(k) and \(k2)")
        var result = Matrix(zeros: m, n)
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                result.storage.withUnsafeMutableBufferPointer { c in
                    cblas_dgemm(CblasRowMajor, transposeSelf ? CblasTrans : CblasNoTrans, transposeOther ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1.0, a.baseAddress, Int32(columns),
                                b.baseAddress, Int32(other.columns), 0.0, c.baseAddress, Int32(n))
                }
            }
        }
        return result
    }
}
