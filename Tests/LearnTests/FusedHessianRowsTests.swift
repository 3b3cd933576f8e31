import Foundation
import Symbolic
import XCTest
@testable import Learn

/// `MLP.hessianRows` is one hand-derived operation for softplus networks (forward over reverse
/// with m tangents stacked as blocks, and its pullback in vectorised kernels). Checked against
/// `Derivatives.hessianRows` through the composed graph, against finite differences of the
/// fused value, and through a recorded pullback (fourth derivatives of f), for one to three
/// hidden layers of unequal widths and several sets of rows.
final class FusedHessianRowsTests: XCTestCase {
    var rng = SeededGenerator(seed: 31)

    func random(_ shape: [Int], _ scale: Double = 1) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in scale * rng.uniform(-1, 1) })
    }

    /// A softplus network with non-zero biases (zeros would hide a bias left out).
    func network(_ sizes: [Int], seed: UInt64) -> MLP {
        let net = MLP(sizes: sizes, activation: .softplus, initializer: .xavier, seed: seed)
        for b in net.biases { b.value = random(b.shape, 0.5) }
        return net
    }

    let cases: [(sizes: [Int], rows: Range<Int>)] = [([4, 7, 1], 2..<4), ([4, 6, 5, 1], 0..<4), ([3, 5, 8, 4, 1], 1..<2), ([2, 9, 1], 0..<1)]

    func stack(_ g: Variable, _ h: Variable) -> Variable {
        Variable.concatenate([g.reshaped([g.shape[0], 1, g.shape[1]]), h], axis: 1)
    }

    func testValueAndPullbackAgreeWithTheComposedGraph() {
        for (n, c) in cases.enumerated() {
            let net = network(c.sizes, seed: UInt64(n))
            let d = c.sizes[0], m = c.rows.count
            let x = Variable(random([6, d], 1.5), requiresGradient: true)
            let upstream = Variable(random([6, 1 + m, d]))
            let fused = net.hessianRows(x, parameters: net.parameters, rows: c.rows, createGraph: true)
            let composed = Derivatives.hessianRows({ net($0) }, at: x, rows: c.rows, createGraph: true)
            XCTAssertEqual(fused.rows.shape, [6, m, d])
            XCTAssertTrue(fused.rows.requiresGradient)
            for (a, b) in zip(fused.gradient.value.storage + fused.rows.value.storage, composed.gradient.value.storage + composed.rows.value.storage) {
                XCTAssertEqual(a, b, accuracy: 1e-14 * max(1, abs(b)), "\(c.sizes)")
            }
            let wrt = [x] + net.parameters
            let fusedGrads = gradient(of: (stack(fused.gradient, fused.rows) * upstream).sum(), wrt: wrt)
            let composedGrads = gradient(of: (stack(composed.gradient, composed.rows) * upstream).sum(), wrt: wrt)
            var largest = 0.0
            for (k, (a, b)) in zip(fusedGrads, composedGrads).enumerated() {
                XCTAssertEqual(a.shape, wrt[k].shape)
                for (u, v) in zip(a.value.storage, b.value.storage) {
                    XCTAssertEqual(u, v, accuracy: 1e-13 * max(1, abs(v)), "\(c.sizes), input \(k)")
                    largest = max(largest, abs(v))
                }
            }
            XCTAssertGreaterThan(largest, 1e-2)
            XCTAssertEqual(fusedGrads.last!.value.storage, [0])  // the output bias moves no derivative
        }
    }

    /// Parameter gradients of ⟨R, (∇ₓf, rows)⟩ by central differences of the fused value itself.
    func testPullbackAgainstFiniteDifferences() {
        for (n, c) in cases.enumerated() {
            let net = network(c.sizes, seed: 10 + UInt64(n))
            let d = c.sizes[0], m = c.rows.count
            let x = random([5, d], 1.5), upstream = random([5, 1 + m, d])
            func fused() -> Variable {
                let r = net.hessianRows(Variable(x, requiresGradient: true), parameters: net.parameters, rows: c.rows, createGraph: true)
                return stack(r.gradient, r.rows)
            }
            func objective() -> Double { zip(fused().value.storage, upstream.storage).reduce(0) { $0 + $1.0 * $1.1 } }
            let grads = gradient(of: (fused() * Variable(upstream)).sum(), wrt: net.parameters)
            for (k, p) in net.parameters.enumerated() {
                for i in Swift.stride(from: 0, to: p.value.count, by: 3) {
                    let saved = p.value.storage[i]
                    p.value.storage[i] = saved + 1e-6; let plus = objective()
                    p.value.storage[i] = saved - 1e-6; let minus = objective()
                    p.value.storage[i] = saved
                    XCTAssertEqual(grads[k].value.storage[i], (plus - minus) / 2e-6, accuracy: 1e-7, "\(c.sizes), parameter \(k), element \(i)")
                }
            }
        }
    }

    /// Differentiating through the pullback takes the composed route: the derivatives of
    /// the parameter gradient equal the composed graph's.
    func testRecordedPullbackAgreesWithTheComposedGraph() {
        let sizes = [4, 6, 5, 1], rows = 2..<4
        let net = network(sizes, seed: 3)
        let x = Variable(random([4, 4]), requiresGradient: true)
        let r = Variable(random([4, 3, 4])), s = Variable(random([4, 6]))
        func next(_ g: Variable, _ h: Variable) -> [Variable] {
            let inner = gradient(of: (stack(g, h) * r).sum(), wrt: [net.weights[0]], createGraph: true)[0]
            XCTAssertTrue(inner.requiresGradient)
            return gradient(of: (inner * s).sum(), wrt: [x] + net.parameters)
        }
        let f = net.hessianRows(x, parameters: net.parameters, rows: rows, createGraph: true)
        let c = Derivatives.hessianRows({ net($0) }, at: x, rows: rows, createGraph: true)
        var largest = 0.0
        for (a, b) in zip(next(f.gradient, f.rows), next(c.gradient, c.rows)) {
            for (u, v) in zip(a.value.storage, b.value.storage) { XCTAssertEqual(u, v, accuracy: 1e-13 * max(1, abs(v))); largest = max(largest, abs(v)) }
        }
        XCTAssertGreaterThan(largest, 1e-2)
    }

    /// Without `createGraph` the rows are constants and the gradient stays differentiable;
    /// other activations take the composed graph.
    func testConstantRowsAndFallbacks() {
        let net = network([4, 5, 1], seed: 4)
        let x = Variable(random([3, 4]), requiresGradient: true)
        let plain = net.hessianRows(x, parameters: net.parameters, rows: 2..<4, createGraph: false)
        XCTAssertFalse(plain.rows.requiresGradient)
        XCTAssertTrue(plain.gradient.requiresGradient)
        let composed = Derivatives.hessianRows({ net($0) }, at: x, rows: 2..<4)
        XCTAssertEqual(plain.rows.value.storage, net.hessianRows(x, parameters: net.parameters, rows: 2..<4, createGraph: true).rows.value.storage)
        for (a, b) in zip(plain.rows.value.storage, composed.rows.value.storage) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        let tanh = MLP(sizes: [4, 5, 1], activation: .tanh, seed: 1)
        let t = tanh.hessianRows(x, parameters: tanh.parameters, rows: 0..<2, createGraph: false)
        let u = Derivatives.hessianRows({ tanh($0) }, at: x, rows: 0..<2)
        XCTAssertEqual(t.rows.value.storage, u.rows.value.storage)
    }
}
