import Foundation

// Per-sample linear systems A_b y_b = r_b, for small n (an LNN's mass matrix ∂²L/∂q̇², n the
// degrees of freedom).
//
// For y = A⁻¹ r the pullback of ȳ is r̄ = A⁻ᵀ ȳ and Ā = −r̄ yᵀ; for the transposed system
// y = A⁻ᵀ r it is r̄ = A⁻¹ ȳ and Ā = −y r̄ᵀ. Both are written with the same recorded operation
// and products, so the solve differentiates to any order.

extension Variable {
    /// y_b = A_b⁻¹ r_b (or A_b⁻ᵀ r_b with `transposed`) for A [batch, n, n] and r [batch, n], by
    /// Gaussian elimination with partial pivoting in each sample. A sample whose matrix has an
    /// exactly zero pivot gets NaN (callers guard with `BatchedLinearSystem.reciprocalCondition`
    /// first, and say why).
    public static func solve(_ A: Variable, _ r: Variable, transposed: Bool = false) -> Variable {
        precondition(A.shape.count == 3 && A.shape[1] == A.shape[2] && r.shape == [A.shape[0], A.shape[1]],
                     "solve takes A [batch, n, n] and r [batch, n], got \(A.shape) and \(r.shape)")
        let y = BatchedLinearSystem.solve(A.value, r.value, transposed: transposed)
        let batch = A.shape[0], n = A.shape[1]
        return .record(y, [A, r]) { g, need in
            // Recorded again when the backward pass is recorded, so that y depends on A and r.
            let y = Recording.isOn ? solve(A, r, transposed: transposed) : Variable(y)
            let rbar = solve(A, g, transposed: !transposed)
            let outer = transposed ? y.reshaped([batch, n, 1]) * rbar.reshaped([batch, 1, n]) : rbar.reshaped([batch, n, 1]) * y.reshaped([batch, 1, n])
            return [need[0] ? -outer : nil, need[1] ? rbar : nil]
        }
    }
}

/// Small dense systems, one per sample.
public enum BatchedLinearSystem {
    /// y_b = A_b⁻¹ r_b (A_b⁻ᵀ r_b when `transposed`) for A [batch, n, n], r [batch, n].
    public static func solve(_ A: Tensor, _ r: Tensor, transposed: Bool = false) -> Tensor {
        let batch = A.shape[0], n = A.shape[1]
        var out = [Double](repeating: 0, count: batch * n)
        var m = [Double](repeating: 0, count: n * n), v = [Double](repeating: 0, count: n)
        for b in 0..<batch {
            for i in 0..<n { for j in 0..<n { m[i * n + j] = transposed ? A.storage[b * n * n + j * n + i] : A.storage[b * n * n + i * n + j] } }
            for i in 0..<n { v[i] = r.storage[b * n + i] }
            eliminate(&m, &v, n)
            for i in 0..<n { out[b * n + i] = v[i] }
        }
        return Tensor(shape: [batch, n], storage: out)
    }

    /// max_b ‖A_b‖₁ over the samples (the largest column sum of any).
    public static func largestNorm(_ A: Tensor) -> Double {
        let batch = A.shape[0], n = A.shape[1]
        var largest = 0.0
        for b in 0..<batch {
            for j in 0..<n {
                var s = 0.0
                for i in 0..<n { s += abs(A.storage[b * n * n + i * n + j]) }
                if !s.isFinite { return .nan }
                largest = max(largest, s)
            }
        }
        return largest
    }

    /// Solves m x = v in place (x in v) by Gaussian elimination with partial pivoting; a zero
    /// pivot makes the solution NaN.
    static func eliminate(_ m: inout [Double], _ v: inout [Double], _ n: Int) {
        for k in 0..<n {
            var p = k
            for i in (k + 1)..<max(k + 1, n) where abs(m[i * n + k]) > abs(m[p * n + k]) { p = i }
            if p != k {
                for j in 0..<n { m.swapAt(k * n + j, p * n + j) }
                v.swapAt(k, p)
            }
            let pivot = m[k * n + k]
            guard pivot != 0 else {
                for i in 0..<n { v[i] = .nan }
                return
            }
            for i in (k + 1)..<max(k + 1, n) {
                let f = m[i * n + k] / pivot
                if f == 0 { continue }
                for j in k..<n { m[i * n + j] -= f * m[k * n + j] }
                v[i] -= f * v[k]
            }
        }
        for k in stride(from: n - 1, through: 0, by: -1) {
            var s = v[k]
            for j in (k + 1)..<max(k + 1, n) { s -= m[k * n + j] * v[j] }
            v[k] = s / m[k * n + k]
        }
    }

    /// 1/κ₁(A_b) = 1/(‖A_b‖₁ ‖A_b⁻¹‖₁) for each sample (the inverse by n solves): 1 for a
    /// multiple of the identity, 0 for a singular matrix, NaN when an entry is not finite.
    /// With `scale`, 1/(scale ‖A_b⁻¹‖₁) instead: a sample's smallest direction against a size
    /// common to the batch, so that a 1 × 1 matrix (whose κ is always 1) near 0 counts too.
    public static func reciprocalCondition(_ A: Tensor, scale: Double? = nil) -> [Double] {
        let batch = A.shape[0], n = A.shape[1]
        var out = [Double](repeating: 0, count: batch)
        var m = [Double](repeating: 0, count: n * n), v = [Double](repeating: 0, count: n)
        for b in 0..<batch {
            let a = Array(A.storage[(b * n * n)..<((b + 1) * n * n)])
            guard a.allSatisfy(\.isFinite) else { out[b] = .nan; continue }
            let norm = (0..<n).map { j in (0..<n).reduce(0.0) { $0 + abs(a[$1 * n + j]) } }.max() ?? 0
            var inverseColumnSums = [Double](repeating: 0, count: n)
            var singular = norm == 0 || scale == 0
            for j in 0..<n where !singular {
                m = a
                for i in 0..<n { v[i] = i == j ? 1 : 0 }
                eliminate(&m, &v, n)
                guard v.allSatisfy(\.isFinite) else { singular = true; break }
                inverseColumnSums[j] = v.reduce(0) { $0 + abs($1) }
            }
            out[b] = singular ? 0 : 1 / ((scale ?? norm) * (inverseColumnSums.max() ?? 0))
        }
        return out
    }
}
