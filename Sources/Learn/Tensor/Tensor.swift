import CKernels
import COpenBLAS
import Foundation

/// A dense tensor of doubles, rank 0–3, row-major contiguous storage. Elementwise operations
/// broadcast like NumPy (trailing dimensions aligned; size-1 dimensions stretch). Products go to
/// OpenBLAS. A value type: autodiff records operations on `Variable`s that hold tensors.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
    public private(set) var shape: [Int]
    public var storage: [Double]

    public init(shape: [Int], storage: [Double]) {
        precondition(shape.count <= 3, "tensors have rank 0 to 3")
        precondition(storage.count == shape.reduce(1, *), "storage of \(storage.count) does not fill shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    public init(_ scalar: Double) { self.init(shape: [], storage: [scalar]) }
    public init(_ vector: [Double]) { self.init(shape: [vector.count], storage: vector) }
    public init(_ rows: [[Double]]) { self.init(shape: [rows.count, rows.first?.count ?? 0], storage: rows.flatMap { $0 }) }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, storage: Array(repeating: 0, count: shape.reduce(1, *))) }
    public static func filled(_ shape: [Int], _ value: Double) -> Tensor { Tensor(shape: shape, storage: Array(repeating: value, count: shape.reduce(1, *))) }

    public var rank: Int { shape.count }
    public var count: Int { storage.count }
    public var scalar: Double { storage[0] }

    public var description: String { "Tensor(shape: \(shape), \(storage.prefix(8).map { String(format: "%.6g", $0) })\(count > 8 ? "…" : ""))" }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    // MARK: Elementwise with broadcasting

    /// The broadcast shape of two shapes, or nil when they are incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let x = i < n - a.count ? 1 : a[i - (n - a.count)]
            let y = i < n - b.count ? 1 : b[i - (n - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            out[i] = max(x, y)
        }
        return out
    }

    /// Strides of `shape` as seen from `target` (0 along broadcast dimensions).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for i in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
            let j = i + target.count - shape.count
            strides[j] = shape[i] == 1 ? 0 : step
            step *= shape[i]
        }
        return strides
    }

    /// f(a_i, b_i) over the broadcast shape. A large one runs f on several threads at once
    /// (`Parallel`): f must be a pure function of its arguments.
    public static func zip(_ a: Tensor, _ b: Tensor, _ f: (Double, Double) -> Double) -> Tensor {
        if a.shape == b.shape {
            // Written straight into fresh storage: no copy of `a` first.
            let out = a.storage.withUnsafeBufferPointer { as_ in
                b.storage.withUnsafeBufferPointer { bs in
                    [Double](unsafeUninitializedCapacity: as_.count) { o, n in
                        Parallel.ranges(as_.count, minimum: Parallel.elementwiseMinimum, align: 8, grain: Parallel.elementwiseGrain) { r in
                            for i in r { o[i] = f(as_[i], bs[i]) }
                        }
                        n = as_.count
                    }
                }
            }
            return Tensor(shape: a.shape, storage: out)
        }
        guard let shape = broadcastShape(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        // A row vector along the last axis (a bias): row by row, no index arithmetic.
        if a.shape == shape, a.rank >= 1, b.count == shape[shape.count - 1], b.shape.last == b.count {
            let width = b.count, rows = a.count / max(width, 1)
            let out = a.storage.withUnsafeBufferPointer { x in
                b.storage.withUnsafeBufferPointer { row in
                    [Double](unsafeUninitializedCapacity: x.count) { o, n in
                        Parallel.rows(rows, width: width) { r in
                            for i in r { let k = i * width; for j in 0..<width { o[k + j] = f(x[k + j], row[j]) } }
                        }
                        n = x.count
                    }
                }
            }
            return Tensor(shape: shape, storage: out)
        }
        if b.count == 1 { let y = b.storage[0]; return Tensor(shape: shape, storage: a.broadcast(to: shape).storage.map { f($0, y) }) }
        if a.count == 1 { let x = a.storage[0]; return Tensor(shape: shape, storage: b.broadcast(to: shape).storage.map { f(x, $0) }) }
        let x = a.broadcast(to: shape), y = b.broadcast(to: shape)
        var out = x.storage
        for i in 0..<out.count { out[i] = f(out[i], y.storage[i]) }
        return Tensor(shape: shape, storage: out)
    }

    /// The four arithmetic operations, elementwise with broadcasting: `zip(a, b, +)` and so on,
    /// with the same bits, in vectorised kernels where the shapes are equal or b is a row.
    public enum Arithmetic: Int32, Sendable {
        case add, subtract, multiply, divide
        var function: (Double, Double) -> Double {
            switch self { case .add: return (+); case .subtract: return (-); case .multiply: return (*); case .divide: return (/) }
        }
    }

    public static func zip(_ a: Tensor, _ b: Tensor, _ op: Arithmetic) -> Tensor {
        let code = op.rawValue
        if a.shape == b.shape {
            return elementwise(a.shape, [a.storage, b.storage]) { p, o, n in nk_arithmetic(code, p[0], p[1], o, n) }
        }
        if let shape = broadcastShape(a.shape, b.shape), a.shape == shape, a.rank >= 1, b.count > 0,
           b.count == shape[shape.count - 1], b.shape.last == b.count {
            let width = b.count, rows = a.count / width
            let out = a.storage.withUnsafeBufferPointer { x in
                b.storage.withUnsafeBufferPointer { row in
                    [Double](unsafeUninitializedCapacity: x.count) { o, n in
                        Parallel.rows(rows, width: width) { r in
                            let k = r.lowerBound * width
                            nk_arithmetic_rows(code, x.baseAddress! + k, row.baseAddress!, o.baseAddress! + k, r.count, width)
                        }
                        n = x.count
                    }
                }
            }
            return Tensor(shape: shape, storage: out)
        }
        guard let shape = broadcastShape(a.shape, b.shape) else { return zip(a, b, op.function) }
        // Both stretched to the common shape first, as the general zip does.
        return zip(a.broadcast(to: shape), b.broadcast(to: shape), op)
    }

    /// f(x_i) for every element; like `zip`, f may run on several threads at once and must be pure.
    public func map(_ f: (Double) -> Double) -> Tensor {
        let out = storage.withUnsafeBufferPointer { s in
            [Double](unsafeUninitializedCapacity: s.count) { o, n in
                Parallel.ranges(s.count, minimum: Parallel.elementwiseMinimum, align: 8, grain: Parallel.elementwiseGrain) { r in
                    for i in r { o[i] = f(s[i]) }
                }
                n = s.count
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// tanh elementwise, vectorised (CKernels: within 3 ulp, ~1.1 ns per element against
    /// libm's ~16 ns here, the same bits on every machine).
    public func tanh() -> Tensor { Tensor.elementwise(shape, [storage]) { p, o, n in nk_tanh(p[0], o, n) } }

    /// self ⊙ (1 − t²), same shapes: tanh's backward from its output t.
    public func timesOneMinusSquare(_ t: Tensor) -> Tensor {
        Tensor.elementwise(shape, [storage, t.storage]) { p, o, n in nk_times_one_minus_square(p[0], p[1], o, n) }
    }

    /// scale · a ⊙ b ⊙ c, same shapes.
    public static func tripleProduct(_ a: Tensor, _ b: Tensor, _ c: Tensor, scale: Double) -> Tensor {
        Tensor.elementwise(a.shape, [a.storage, b.storage, c.storage]) { p, o, n in nk_triple_product(scale, p[0], p[1], p[2], o, n) }
    }

    /// A fresh tensor of `shape` written by `kernel(inputs, output, count)`, called on blocks of
    /// the elements at once when there are many (the kernel must be elementwise).
    static func elementwise(_ shape: [Int], _ inputs: [[Double]],
                            _ kernel: ([UnsafePointer<Double>], UnsafeMutablePointer<Double>, Int) -> Void) -> Tensor {
        let n = shape.reduce(1, *)
        precondition(inputs.allSatisfy { $0.count == n }, "elementwise kernels take equal shapes")
        let out = withStoragePointers(inputs[...]) { p in
            [Double](unsafeUninitializedCapacity: n) { o, count in
                Parallel.ranges(n, minimum: Parallel.elementwiseMinimum, align: 8, grain: Parallel.elementwiseGrain) { r in
                    if !r.isEmpty { kernel(p.map { $0 + r.lowerBound }, o.baseAddress! + r.lowerBound, r.count) }
                }
                count = n
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// This tensor repeated along broadcast dimensions to `target`.
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        // A row repeated down a matrix.
        if target.count == 2, count == target[1], shape.last == target[1] {
            var out = [Double]()
            out.reserveCapacity(target[0] * target[1])
            for _ in 0..<target[0] { out.append(contentsOf: storage) }
            return Tensor(shape: target, storage: out)
        }
        if let groups = Tensor.broadcastGroups(shape, target) {
            let total = target.reduce(1, *)
            let out = storage.withUnsafeBufferPointer { x in
                [Double](unsafeUninitializedCapacity: total) { o, n in
                    Tensor.walk(groups, x.baseAddress!, o.baseAddress!, reduce: false)
                    n = total
                }
            }
            return Tensor(shape: target, storage: out)
        }
        let strides = Tensor.broadcastStrides(shape, to: target)
        let total = target.reduce(1, *)
        var out = [Double](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: target.count)
        for k in 0..<total {
            var offset = 0
            for d in 0..<target.count { offset += index[d] * strides[d] }
            out[k] = storage[offset]
            var d = target.count - 1
            while d >= 0 { index[d] += 1; if index[d] < target[d] { break }; index[d] = 0; d -= 1 }
        }
        return Tensor(shape: target, storage: out)
    }

    /// The sum over broadcast dimensions that brings a tensor of a broadcast shape back to
    /// `target` (the adjoint of `broadcast(to:)`).
    public func summed(to target: [Int]) -> Tensor {
        if shape == target { return self }
        // Column sums of a matrix into a row vector (a bias gradient).
        if rank == 2, target.reduce(1, *) == shape[1], target.last == shape[1] {
            return Tensor(shape: target, storage: Tensor.columnSums(storage, rows: shape[0], columns: shape[1]))
        }
        if let groups = Tensor.broadcastGroups(target, shape) {
            let total = target.reduce(1, *)
            let out = storage.withUnsafeBufferPointer { x in
                [Double](unsafeUninitializedCapacity: total) { o, n in
                    o.initialize(repeating: 0)
                    Tensor.walk(groups, o.baseAddress!, UnsafeMutablePointer(mutating: x.baseAddress!), reduce: true)
                    n = total
                }
            }
            return Tensor(shape: target, storage: out)
        }
        let strides = Tensor.broadcastStrides(target, to: shape)
        var out = [Double](repeating: 0, count: target.reduce(1, *))
        var index = [Int](repeating: 0, count: shape.count)
        for k in 0..<count {
            var offset = 0
            for d in 0..<shape.count { offset += index[d] * strides[d] }
            out[offset] += storage[k]
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return Tensor(shape: target, storage: out)
    }

    /// The dimensions of a broadcast from `small` to `large` merged into runs that are all
    /// stretched (small's size 1) or all kept (equal sizes): (stretched, length) from the
    /// outermost, at most 4 of them and not empty; nil when the shapes do not broadcast so.
    static func broadcastGroups(_ small: [Int], _ large: [Int]) -> [(stretched: Bool, length: Int)]? {
        guard small.count <= large.count, large.allSatisfy({ $0 > 0 }) else { return nil }
        let aligned = [Int](repeating: 1, count: large.count - small.count) + small
        var groups: [(stretched: Bool, length: Int)] = []
        for (s, l) in Swift.zip(aligned, large) where l > 1 {
            guard s == l || s == 1 else { return nil }
            if let last = groups.last, last.stretched == (s == 1) { groups[groups.count - 1].length *= l } else { groups.append((s == 1, l)) }
        }
        return (1...4).contains(groups.count) ? groups : nil
    }

    /// Walks a broadcast in the large tensor's row-major order: with `reduce` false, writes
    /// `large` from `small` (each element repeated along the stretched runs); with `reduce`
    /// true, adds every element of `large` into its element of `small` (which holds zeros), so
    /// each sum runs over its terms in row-major order, as the general loop adds them. Blocks of
    /// the outermost run go to the worker pool when it is kept (their outputs are disjoint), or
    /// when copying.
    static func walk(_ groups: [(stretched: Bool, length: Int)], _ small: UnsafePointer<Double>, _ large: UnsafeMutablePointer<Double>, reduce: Bool) {
        let g = groups.count
        var largeStride = [Int](repeating: 1, count: g), smallStride = [Int](repeating: 0, count: g)
        var l = 1, s = 1
        for i in stride(from: g - 1, through: 0, by: -1) {
            largeStride[i] = l; l *= groups[i].length
            if !groups[i].stretched { smallStride[i] = s; s *= groups[i].length }
        }
        let smallOut = UnsafeMutablePointer(mutating: small)
        func run(_ level: Int, _ so: Int, _ lo: Int) {
            let length = groups[level].length
            if level == g - 1 {
                if groups[level].stretched {
                    if reduce { var t = smallOut[so]; for j in 0..<length { t += large[lo + j] }; smallOut[so] = t }
                    else { let v = small[so]; for j in 0..<length { large[lo + j] = v } }
                } else {
                    if reduce { for j in 0..<length { smallOut[so + j] += large[lo + j] } }
                    else { for j in 0..<length { large[lo + j] = small[so + j] } }
                }
                return
            }
            for j in 0..<length { run(level + 1, so + j * smallStride[level], lo + j * largeStride[level]) }
        }
        let outer = groups[0].length, width = largeStride[0]
        if g > 1, !reduce || !groups[0].stretched {
            Parallel.rows(outer, width: width) { r in
                for j in r { run(1, j * smallStride[0], j * width) }
            }
        } else {
            run(0, 0, 0)
        }
    }

    /// Σ_rows of a row-major rows × columns matrix, each column summed over the rows in order
    /// (on blocks of columns at once when large: the same sums).
    static func columnSums(_ x: [Double], rows: Int, columns: Int) -> [Double] {
        guard rows > 0, columns > 0 else { return [Double](repeating: 0, count: columns) }
        return x.withUnsafeBufferPointer { s in
            [Double](unsafeUninitializedCapacity: columns) { o, n in
                let large = rows * columns >= Parallel.elementwiseMinimum
                Parallel.ranges(columns, minimum: large ? 16 : .max, align: 8) { r in
                    nk_column_sums(s.baseAddress! + r.lowerBound, o.baseAddress! + r.lowerBound, rows, r.count, columns)
                }
                n = columns
            }
        }
    }

    // MARK: Reductions and products

    public func sum() -> Tensor { Tensor(storage.reduce(0, +)) }

    /// Sum along `axis`, keeping it with size 1 (so the result broadcasts back).
    public func sum(axis: Int) -> Tensor {
        var target = shape
        target[axis] = 1
        return summed(to: target)
    }

    /// Matrix product of rank-2 tensors through `cblas_dgemm`, transposes as flags.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul takes matrices, got \(a.shape) and \(b.shape)")
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(k == k2, "inner dimensions differ: \(a.shape) and \(b.shape)")
        Tensor.configureThreads
        guard m > 0 && n > 0 && k > 0 else { return Tensor.zeros([m, n]) }
        // dgemm with β = 0 writes every element: the output needs no zero fill.
        let out = a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in
            [Double](unsafeUninitializedCapacity: m * n) { pc, count in
                gemm(transposeA, transposeB, m, n, k, pa.baseAddress!, a.shape[1], pb.baseAddress!, b.shape[1], 0, pc.baseAddress!, n)
                count = m * n
            }
        } }
        return Tensor(shape: [m, n], storage: out)
    }

    public var transposed: Tensor {
        precondition(rank == 2, "transpose takes a matrix")
        let (r, c) = (shape[0], shape[1])
        var out = [Double](repeating: 0, count: count)
        for i in 0..<r { for j in 0..<c { out[j * r + i] = storage[i * c + j] } }
        return Tensor(shape: [c, r], storage: out)
    }

    /// One BLAS thread: OpenBLAS's own threads partition a product by the thread count, which
    /// changed a full training run's digits (BENCHMARKS.md); Learn splits large products itself
    /// over its worker pool (`Parallel`), by blocks of output rows or columns, the same bits on
    /// any number of cores. And glibc's allocator told to keep large freed blocks: tensors of a
    /// training step are megabytes each, above the default mmap threshold, so every one was
    /// mapped, faulted in page by page and unmapped again — measured 163 → 100 ms per HNN step
    /// without that.
    static let configureThreads: Void = {
        openblas_set_num_threads(1)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)  // glibc's largest allowed threshold
        _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
    }()
}

/// Pointers to the storage of several arrays at once, valid inside `body` (an empty array gives
/// a valid pointer that must not be read).
func withStoragePointers<R>(_ arrays: ArraySlice<[Double]>, _ collected: [UnsafePointer<Double>] = [],
                            _ body: ([UnsafePointer<Double>]) -> R) -> R {
    guard let first = arrays.first else { return body(collected) }
    return first.withUnsafeBufferPointer { buffer in
        withStoragePointers(arrays.dropFirst(), collected + [buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!], body)
    }
}

/// C = op(A)·op(B) + β C, row-major, through OpenBLAS (transposes as flags). A large product
/// is split into blocks of C's rows (or columns, when it has more of those) computed at once on
/// the worker pool, each by its own one-thread dgemm: op(A)'s rows, or op(B)'s columns, of a
/// block are a sub-matrix with the same leading dimension. Every element of C is still one dot
/// product over the whole inner dimension, by the same kernel and in the same order (OpenBLAS
/// blocks the inner dimension by its length alone), so the bits do not depend on the split;
/// block boundaries fall on multiples of 8.
func gemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
          _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
          _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
    guard m * n * k >= Parallel.productMinimum, Parallel.count > 1 else {
        serialGemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc)
        return
    }
    if m >= n {
        splitProduct(m, perLine: n * k) { rows in
            let i = rows.lowerBound
            serialGemm(transposeA, transposeB, rows.count, n, k, transposeA ? a + i : a + i * lda, lda, b, ldb, beta, c + i * ldc, ldc)
        }
    } else {
        splitProduct(n, perLine: m * k) { columns in
            let j = columns.lowerBound
            serialGemm(transposeA, transposeB, m, columns.count, k, a, lda, transposeB ? b + j * ldb : b + j, ldb, beta, c + j, ldc)
        }
    }
}

/// OpenBLAS (0.3.21 with its AVX-512 kernels, Skylake-X and Cooper Lake) sends a product with
/// m·n·k ≤ 10⁶ to a small-matrix kernel that sums the inner dimension in one chain, where the
/// ordinary kernel blocks it: a block under that size could round differently from the whole
/// product. So every block, the last included, keeps its m·n·k above 10⁶, and is at least 8
/// rows or columns wide (newer OpenBLAS sends one-row products to gemv). Haswell's kernels
/// (the tests') have no small path.
let smallProductLimit = 1_000_000

/// `body` over blocks of 0..<lines (a product's rows or columns, each `perLine` multiply-adds):
/// up to `Parallel.oversplit` blocks per thread of at least 32 lines, each a multiple of 8
/// lines long and above `smallProductLimit` in work; the last block takes the remainder, so it
/// is never shorter than the others. One block runs serially.
func splitProduct(_ lines: Int, perLine: Int, _ body: (Range<Int>) -> Void) {
    let need = max(32, (smallProductLimit / max(perLine, 1) + 1 + 7) / 8 * 8)
    let pieces = min(Parallel.count * Parallel.oversplit, lines / need)
    guard pieces >= 2 else { body(0..<lines); return }
    let size = lines / pieces / 8 * 8
    Parallel.forEach(pieces) { i in body((i * size)..<(i == pieces - 1 ? lines : (i + 1) * size)) }
}

/// One cblas_dgemm call (OpenBLAS on one thread: `Tensor.configureThreads`).
@inline(__always)
private func serialGemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                        _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                        _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
    cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
