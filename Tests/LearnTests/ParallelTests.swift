import Foundation
import Symbolic
import XCTest
@testable import Learn

/// Learn splits large operations over the cores (`Parallel`) only where each output element's
/// arithmetic stays as it is on one thread, so the bits must not depend on the split. Every
/// comparison here is `==`, not a tolerance: the serial path (`Parallel.blocks = 1`) against
/// forced splits into 2, 3 and 5 blocks, which on one core run one after another and on
/// several at once.
final class ParallelTests: XCTestCase {
    var rng = SeededGenerator(seed: 41)

    override func tearDown() { Parallel.blocks = nil }

    /// Uniform draws made once (drawing millions in an unoptimised test build is slow);
    /// `random` takes windows of them at varying offsets.
    lazy var pool: [Double] = (0..<2_200_000).map { _ in rng.uniform(-1, 1) }
    var offset = 0

    func random(_ shape: [Int], _ scale: Double = 1) -> Tensor {
        let n = shape.reduce(1, *)
        precondition(n <= pool.count)
        offset = (offset + 7919) % (pool.count - n + 1)
        return Tensor(shape: shape, storage: pool[offset..<(offset + n)].map { scale * $0 })
    }

    /// `body` serially and then split into 2, 3 and 5 blocks; every split's result must equal
    /// the serial one bit for bit.
    func assertSplitInvariant<T: Equatable>(_ label: String, _ body: () -> T) {
        Parallel.blocks = 1
        let serial = body()
        for blocks in [2, 3, 5] {
            Parallel.blocks = blocks
            XCTAssertTrue(body() == serial, "\(label): \(blocks) blocks differ from the serial result")
        }
        Parallel.blocks = nil
    }

    /// Products above the splitting threshold, split by rows (m ≥ n) or columns, all four
    /// transposes, ragged sizes, an inner dimension long enough for OpenBLAS to block it, and
    /// single output rows and columns.
    func testProductsGiveTheSameBitsWhateverTheSplit() {
        let shapes = [(4096, 200, 200), (200, 200, 4096), (1000, 37, 300), (45, 1003, 101), (4096, 1, 520), (1, 2400, 900), (333, 333, 1500)]
        for (m, n, k) in shapes {
            XCTAssertGreaterThanOrEqual(m * n * k, Parallel.productMinimum, "\(m)×\(n)×\(k) would not be split")
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = random(ta ? [k, m] : [m, k]), b = random(tb ? [n, k] : [k, n])
                assertSplitInvariant("matmul \(m)×\(n)×\(k) \(ta) \(tb)") { Tensor.matmul(a, b, transposeA: ta, transposeB: tb).storage }
            }
        }
        // β = 1, as the fused pullback accumulates dW: C = op(A)·op(B) + C.
        let (m, n, k) = (200, 120, 4096)
        let a = random([k, m]), b = random([k, n]), c0 = random([m, n])
        assertSplitInvariant("gemm with β = 1") { () -> [Double] in
            var c = c0.storage
            a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                gemm(true, false, m, n, k, pa.baseAddress!, m, pb.baseAddress!, n, 1, pc.baseAddress!, n)
            } } }
            return c
        }
    }

    /// OpenBLAS's small-matrix kernel (AVX-512 builds) takes products with m·n·k ≤ 10⁶ and sums
    /// the inner dimension unblocked, so no block of a split product may fall under that size
    /// (the Haswell kernels of the other tests have no small path, so this checks the blocks'
    /// sizes themselves): every block, the last included, is above it and at least 8 wide, and
    /// the blocks cover the lines once, in order.
    func testNoProductBlockFallsToTheSmallMatrixKernel() {
        for threads in [2, 3, 8] {
            Parallel.blocks = threads
            for (lines, perLine) in [(100, 100 * 210), (4096, 520), (4096, 200 * 200), (1368, 520), (300, 7000), (2000, 2000), (257, 1_000_000)] {
                var blocks: [Range<Int>] = []
                let lock = NSLock()
                splitProduct(lines, perLine: perLine) { r in lock.lock(); blocks.append(r); lock.unlock() }
                blocks.sort { $0.lowerBound < $1.lowerBound }
                XCTAssertEqual(blocks.first?.lowerBound, 0)
                XCTAssertEqual(blocks.last?.upperBound, lines)
                for (x, y) in zip(blocks, blocks.dropFirst()) { XCTAssertEqual(x.upperBound, y.lowerBound) }
                if blocks.count > 1 {
                    for r in blocks {
                        XCTAssertGreaterThan(r.count * perLine, smallProductLimit, "\(lines) lines of \(perLine): block \(r) is small")
                        XCTAssertGreaterThanOrEqual(r.count, 8)
                    }
                }
            }
        }
        // 100 × 100 × 150 (1.5 M) in two blocks of rows would leave one under 10⁶: not split.
        Parallel.blocks = 2
        var count = 0
        splitProduct(100, perLine: 100 * 150) { _ in count += 1 }
        XCTAssertEqual(count, 1)
    }

    func testElementwisePassesAndColumnSumsGiveTheSameBits() {
        let x = random([700, 130], 4), y = random([700, 130]), z = random([700, 130]), bias = random([130])
        assertSplitInvariant("tanh") { x.tanh().storage }
        assertSplitInvariant("zip") { Tensor.zip(x, y, *).storage }
        assertSplitInvariant("row broadcast") { Tensor.zip(x, bias, +).storage }
        assertSplitInvariant("map") { x.map { $0 * $0 + 1 }.storage }
        // The arithmetic kernels give the bits of Swift's operators, on equal shapes and rows.
        let ops: [(Tensor.Arithmetic, (Double, Double) -> Double)] = [(.add, (+)), (.subtract, (-)), (.multiply, (*)), (.divide, (/))]
        for (op, f) in ops {
            for other in [y, bias, Tensor(0.3), random([700, 1])] {
                let serial = Tensor.zip(x, other, f).storage
                assertSplitInvariant("\(op) with \(other.shape)") { Tensor.zip(x, other, op).storage }
                XCTAssertEqual(Tensor.zip(x, other, op).storage, serial, "\(op) with \(other.shape)")
            }
        }
        assertSplitInvariant("tanh backward") { y.timesOneMinusSquare(x.tanh()).storage }
        assertSplitInvariant("triple product") { Tensor.tripleProduct(x, y, z, scale: -2).storage }
        assertSplitInvariant("column sums") { x.summed(to: [130]).storage }
        // Column sums are sums over the rows in order, as written out.
        var expected = [Double](repeating: 0, count: 130)
        for i in 0..<700 { for j in 0..<130 { expected[j] += x.storage[i * 130 + j] } }
        Parallel.blocks = 3
        XCTAssertEqual(x.summed(to: [1, 130]).storage, expected)
    }

    /// Broadcasts and their adjoint sums over rank-3 shapes (the SCNN's per-sample Jacobian
    /// products) against the definition written element by element: the sum over every
    /// index that maps to an output, added in row-major order.
    func testBroadcastAndSumsMatchTheDefinition() {
        let cases: [([Int], [Int])] = [([300, 8, 1], [300, 8, 8]), ([300, 1, 8], [300, 8, 8]), ([1, 8, 1], [300, 8, 8]),
                                       ([], [40, 5, 3]), ([8, 1], [300, 8, 8]), ([5000, 1, 1], [5000, 2, 4]), ([1, 7], [6000, 7])]
        for (small, large) in cases {
            let x = random(small), y = random(large)
            var expectedBroadcast = [Double](repeating: 0, count: y.count)
            var expectedSum = [Double](repeating: 0, count: x.count)
            let aligned = [Int](repeating: 1, count: large.count - small.count) + small
            for k in 0..<y.count {
                var rest = k, offset = 0, stride = 1
                var index = [Int](repeating: 0, count: large.count)
                for d in Swift.stride(from: large.count - 1, through: 0, by: -1) { index[d] = rest % large[d]; rest /= large[d] }
                for d in Swift.stride(from: large.count - 1, through: 0, by: -1) {
                    offset += (aligned[d] == 1 ? 0 : index[d]) * stride
                    stride *= aligned[d]
                }
                expectedBroadcast[k] = x.storage[offset]
                expectedSum[offset] += y.storage[k]
            }
            assertSplitInvariant("broadcast \(small) to \(large)") { x.broadcast(to: large).storage }
            assertSplitInvariant("sum \(large) to \(small)") { y.summed(to: small).storage }
            XCTAssertEqual(x.broadcast(to: large).storage, expectedBroadcast, "\(small) → \(large)")
            XCTAssertEqual(y.summed(to: small).storage, expectedSum, "\(large) → \(small)")
        }
    }

    /// Steps of Adam on an HNN (the fused input gradient) and on an SCNN (the general path:
    /// T's Jacobian by recorded reverse passes, second-order backward), serially and split:
    /// the same parameters, bit for bit, after every step.
    func testTrainingGivesTheSameParametersWhateverTheSplit() throws {
        let x = random([512, 4], 2), dx = random([512, 4])
        let batch = Batch(["x": x, "dx": dx])
        assertSplitInvariant("HNN training") { () -> [[Double]] in
            let model = HamiltonianNeuralNetwork(dimension: 4, hidden: 96, layers: 2, initializer: .orthogonal, seed: 3)
            let optimizer = Adam(learningRate: 1e-2)
            var trace: [[Double]] = []
            for _ in 0..<4 {
                let loss = try! model.losses(batch)["mse"]!
                optimizer.step(model.variables, gradient(of: loss, wrt: model.variables))
                trace += model.variables.map(\.value.storage)
            }
            return trace
        }
        assertSplitInvariant("SCNN training") { () -> [[Double]] in
            let model = SymmetryControlNetwork(dimension: 4, hidden: 96, layers: 2, cyclic: 1, initializer: .orthogonal, seed: 5)
            let optimizer = Adam(learningRate: 1e-2)
            var trace: [[Double]] = []
            for _ in 0..<3 {
                let terms = try! model.losses(batch)
                let total = terms["hnn"]! + terms["poisson"]! * 0.1 + terms["hqp"]! * 0.1
                optimizer.step(model.variables, gradient(of: total, wrt: model.variables))
                trace += model.variables.map(\.value.storage)
            }
            return trace
        }
    }

    /// The pool runs every chunk exactly once, also when chunks outnumber the threads, and
    /// nested use (a chunk that splits again) runs serially instead of deadlocking.
    func testPoolRunsEveryChunkOnce() {
        Parallel.blocks = 4
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { h in
            for _ in 0..<50 {
                Parallel.forEach(1000) { i in h[i] += 1 }
                Parallel.forEach(4) { outer in Parallel.forEach(5) { inner in h[outer * 5 + inner] += 1 } }
            }
        }
        XCTAssertEqual(hits[..<20].allSatisfy { $0 == 100 }, true)
        XCTAssertTrue(hits[20...].allSatisfy { $0 == 50 })
        XCTAssertGreaterThanOrEqual(Parallel.cores, 1)
    }
}
