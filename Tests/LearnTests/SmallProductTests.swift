import CKernels
@testable import Learn
import Symbolic
import XCTest

/// `nk_small_gemm` (the fused MAML step's products) against the definition it promises: every
/// element one fma chain over p = 0…k−1 from 0, then added to C for β = 1. Bit for bit, for
/// shapes that reach every register block (4 × 32, 4 × 8, one column, one row) and their edges.
final class SmallProductTests: XCTestCase {
    func testEveryElementIsOneFmaChainInOrder() {
        var rng = SeededGenerator(seed: 11)
        let shapes = [(1, 1, 1), (4, 32, 7), (5, 33, 3), (50, 64, 64), (50, 4, 64), (64, 64, 50), (4, 64, 50),
                      (3, 9, 1), (7, 41, 0), (13, 100, 5), (50, 4, 4),
                      (5, 70, 70)]   // n·k > 4096: Bᵀ's copy is allocated, not on the stack
        var checked = 0
        for (m, n, k) in shapes {
            for transposeA in [false, true] { for transposeB in [false, true] { for beta in [0.0, 1.0] {
                // Leading dimensions wider than the matrices, as a block of a larger array.
                let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 5
                let A = (0..<((transposeA ? k : m) * lda)).map { _ in rng.normal() }
                let B = (0..<((transposeB ? n : k) * ldb)).map { _ in rng.normal() }
                let C0 = (0..<(m * ldc)).map { _ in rng.normal() }
                var C = C0
                nk_small_gemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, A, lda, B, ldb, beta, &C, ldc)
                for i in 0..<m {
                    for j in 0..<ldc {
                        guard j < n else {
                            XCTAssertEqual(C[i * ldc + j].bitPattern, C0[i * ldc + j].bitPattern, "wrote past column \(n)")
                            continue
                        }
                        var acc = 0.0
                        for p in 0..<k {
                            let a = transposeA ? A[p * lda + i] : A[i * lda + p]
                            let b = transposeB ? B[j * ldb + p] : B[p * ldb + j]
                            acc = acc.addingProduct(a, b)   // one rounding: fma(a, b, acc)
                        }
                        let want = beta == 0 ? acc : C0[i * ldc + j] + acc
                        if C[i * ldc + j].bitPattern != want.bitPattern {
                            XCTFail("\(m)x\(n)x\(k) tA \(transposeA) tB \(transposeB) β \(beta): (\(i), \(j)) \(C[i * ldc + j]) ≠ \(want)")
                            return
                        }
                        checked += 1
                    }
                }
            } } }
        }
        XCTAssertEqual(checked, 78_880 + 8 * 5 * 70)   // every element of every case
    }
}
