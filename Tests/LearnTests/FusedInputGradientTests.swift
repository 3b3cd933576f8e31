import Foundation
import Symbolic
import XCTest
@testable import Learn

/// `MLP.inputGradient` is one hand-derived operation for tanh networks (forward, input gradient
/// and its pullback in vectorised kernels). Checked against the same quantities by reverse mode
/// through the composed graph, against finite differences, and through a recorded pullback
/// (third order), for one to three hidden layers of unequal widths.
final class FusedInputGradientTests: XCTestCase {
    var rng = SeededGenerator(seed: 29)

    func random(_ shape: [Int], _ scale: Double = 1) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in scale * rng.uniform(-1, 1) })
    }

    /// A tanh network with non-zero biases (zeros would hide a bias left out).
    func network(_ sizes: [Int], seed: UInt64) -> MLP {
        let net = MLP(sizes: sizes, activation: .tanh, initializer: .xavier, seed: seed)
        for b in net.biases { b.value = random(b.shape, 0.5) }
        return net
    }

    let architectures = [[3, 7, 1], [4, 6, 5, 1], [2, 5, 8, 3, 1]]

    func testValueAndPullbackAgreeWithTheComposedGraph() {
        for (n, sizes) in architectures.enumerated() {
            let net = network(sizes, seed: UInt64(n))
            let x = Variable(random([6, sizes[0]], 1.5), requiresGradient: true)
            let upstream = Variable(random([6, sizes[0]]))
            let fused = net.inputGradient(x), composed = net.composedInputGradient(x, createGraph: true)
            XCTAssertTrue(fused.requiresGradient)
            for (a, b) in zip(fused.value.storage, composed.value.storage) { XCTAssertEqual(a, b, accuracy: 1e-14 * max(1, abs(b)), "\(sizes)") }
            let wrt = [x] + net.parameters
            let fusedGrads = gradient(of: (fused * upstream).sum(), wrt: wrt)
            let composedGrads = gradient(of: (composed * upstream).sum(), wrt: wrt)
            for (k, (a, b)) in zip(fusedGrads, composedGrads).enumerated() {
                XCTAssertEqual(a.shape, wrt[k].shape)
                for (u, v) in zip(a.value.storage, b.value.storage) { XCTAssertEqual(u, v, accuracy: 1e-13 * max(1, abs(v)), "\(sizes), input \(k)") }
            }
            // The output bias does not move ∇ₓf.
            XCTAssertEqual(fusedGrads.last!.value.storage, [0])
        }
    }

    /// Parameter gradients of ⟨R, ∇ₓf⟩ by central differences of the fused value itself.
    func testPullbackAgainstFiniteDifferences() {
        for (n, sizes) in architectures.enumerated() {
            let net = network(sizes, seed: 10 + UInt64(n))
            let x = random([5, sizes[0]], 1.5), upstream = random([5, sizes[0]])
            func objective() -> Double { zip(net.inputGradient(Variable(x)).value.storage, upstream.storage).reduce(0) { $0 + $1.0 * $1.1 } }
            let grads = gradient(of: (net.inputGradient(Variable(x)) * Variable(upstream)).sum(), wrt: net.parameters)
            for (k, p) in net.parameters.enumerated() {
                for i in Swift.stride(from: 0, to: p.value.count, by: 4) {
                    let saved = p.value.storage[i]
                    p.value.storage[i] = saved + 1e-6; let plus = objective()
                    p.value.storage[i] = saved - 1e-6; let minus = objective()
                    p.value.storage[i] = saved
                    XCTAssertEqual(grads[k].value.storage[i], (plus - minus) / 2e-6, accuracy: 1e-7, "\(sizes), parameter \(k), element \(i)")
                }
            }
        }
    }

    /// Differentiating through the pullback (createGraph) takes the composed route: third
    /// derivatives of f, as MAML over an HNN needs, equal those of the composed graph.
    func testRecordedPullbackGivesThirdDerivatives() {
        let sizes = [4, 6, 5, 1]
        let net = network(sizes, seed: 3)
        let x = Variable(random([4, 4]), requiresGradient: true)
        let r = Variable(random([4, 4])), s = Variable(random([4, 6]))
        func thirdOrder(_ g: Variable) -> [Variable] {
            let inner = gradient(of: (g * r).sum(), wrt: [net.weights[0]], createGraph: true)[0]
            XCTAssertTrue(inner.requiresGradient)
            return gradient(of: (inner * s).sum(), wrt: [x] + net.parameters)
        }
        let fused = thirdOrder(net.inputGradient(x)), composed = thirdOrder(net.composedInputGradient(x, createGraph: true))
        var largest = 0.0
        for (a, b) in zip(fused, composed) {
            for (u, v) in zip(a.value.storage, b.value.storage) { XCTAssertEqual(u, v, accuracy: 1e-13 * max(1, abs(v))); largest = max(largest, abs(v)) }
        }
        XCTAssertGreaterThan(largest, 1e-2)  // the third derivatives are not all zero
    }

    /// Without recording the operation is a constant; other activations and vector outputs
    /// take the composed graph.
    func testConstantsAndFallbacks() {
        let net = network([3, 5, 1], seed: 4)
        let x = random([2, 3])
        let constant = Recording.with(false) { net.inputGradient(Variable(x)) }
        XCTAssertFalse(constant.requiresGradient)
        XCTAssertEqual(constant.value, net.inputGradient(Variable(x)).value)
        let linear = network([3, 1], seed: 6)  // no hidden layer: ∇ₓf = wᵀ on every row
        XCTAssertEqual(linear.inputGradient(Variable(x)).value.storage, linear.weights[0].value.storage + linear.weights[0].value.storage)
        let softplus = MLP(sizes: [3, 5, 1], activation: .softplus, seed: 1)
        let h = 1e-6
        let g = softplus.inputGradient(Variable(x)).value
        for j in 0..<3 {
            var up = x, down = x
            up.storage[j] += h; down.storage[j] -= h
            let numeric = (softplus(Variable(up)).value.storage[0] - softplus(Variable(down)).value.storage[0]) / (2 * h)
            XCTAssertEqual(g.storage[j], numeric, accuracy: 1e-8)
        }
    }
}
