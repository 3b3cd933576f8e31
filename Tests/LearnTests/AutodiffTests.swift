import CKernels
import Foundation
import Symbolic
import XCTest
@testable import Learn

final class AutodiffTests: XCTestCase {
    var rng = SeededGenerator(seed: 17)

    func random(_ shape: [Int], _ lo: Double = -1, _ hi: Double = 1) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in rng.uniform(lo, hi) })
    }

    /// Checks ∂/∂inputs of Σ w ⊙ f(inputs) against central differences.
    func check(_ name: String, _ inputs: [Tensor], tolerance: Double = 1e-6, _ f: ([Variable]) -> Variable) {
        let vars = inputs.map { Variable($0, requiresGradient: true) }
        let out = f(vars)
        let weights = Variable(random(out.shape))
        let grads = gradient(of: (out * weights).sum(), wrt: vars)
        for (k, input) in inputs.enumerated() {
            for i in 0..<input.count {
                func loss(_ delta: Double) -> Double {
                    var perturbed = inputs.map { Variable($0) }
                    var t = input
                    t.storage[i] += delta
                    perturbed[k] = Variable(t)
                    return (f(perturbed) * weights).sum().value.scalar
                }
                let h = 1e-6
                let numeric = (loss(h) - loss(-h)) / (2 * h)
                XCTAssertEqual(grads[k].value.storage[i], numeric, accuracy: tolerance * max(1, abs(numeric)), "\(name): input \(k), element \(i)")
            }
        }
    }

    func testEveryPrimitiveAgainstFiniteDifferences() {
        let a = random([3, 4]), b = random([3, 4]), row = random([4]), column = random([3, 1]), scalar = random([])
        let positive = random([3, 4], 0.5, 2)
        check("add", [a, b]) { $0[0] + $0[1] }
        check("add row broadcast", [a, row]) { $0[0] + $0[1] }
        check("sub column broadcast", [a, column]) { $0[0] - $0[1] }
        check("mul scalar broadcast", [a, scalar]) { $0[0] * $0[1] }
        check("div", [a, positive]) { $0[0] / $0[1] }
        check("neg, constants", [a]) { 3 - (-$0[0]) * 2.5 }
        check("sum", [a]) { $0[0].sum() }
        check("mean", [a]) { $0[0].mean() }
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            let x = ta ? random([4, 3]) : random([3, 4]), y = tb ? random([2, 4]) : random([4, 2])
            check("matmul \(ta) \(tb)", [x, y]) { Variable.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        }
        check("tanh", [a]) { $0[0].tanh() }
        check("exp", [a]) { $0[0].exp() }
        check("log", [positive]) { $0[0].log() }
        check("sin", [a]) { $0[0].sin() }
        check("cos", [a]) { $0[0].cos() }
        check("sigmoid", [a]) { $0[0].sigmoid() }
        check("softplus", [a]) { $0[0].softplus() }
        check("relu", [a]) { $0[0].relu() }
        check("logcosh", [a]) { $0[0].logCosh() }
        check("square", [a]) { $0[0].square() }
        check("one minus square", [a]) { $0[0].oneMinusSquare() }
        check("times one minus square", [a, b]) { $0[0].timesOneMinusSquare($0[1]) }
        check("triple product", [a, b, positive]) { Variable.tripleProduct($0[0], $0[1], $0[2], scale: -1.5) }
        check("broadcast and sum back", [row]) { $0[0].broadcast(to: [3, 4]).summed(to: [1, 4]) }
        let cube = random([2, 3, 4])
        for axis in 0..<3 { check("slice axis \(axis)", [cube]) { $0[0].slice(axis: axis, 1..<2) } }
        check("pad", [a]) { $0[0].padded(axis: 1, offset: 2, length: 7) }
        check("reshape", [cube]) { $0[0].reshaped([6, 4]) }
        for axis in 0..<2 {
            let other = axis == 0 ? random([2, 4]) : random([3, 5])
            check("concatenate axis \(axis)", [a, other, a]) { Variable.concatenate($0, axis: axis) * $0[0].slice(axis: 0, 0).sum() }
        }
    }

    /// Hessian entries by differentiating gradients (createGraph) against the symbolic
    /// module's exact second derivatives, at random points.
    func testSecondDerivativesAgreeWithExactOnes() throws {
        let f = try Expr.parse("tanh(x*y) + sin(x)^2 + exp(-y^2)/(1 + x^2) + log(1 + exp(x - y))")
        func build(_ x: Variable, _ y: Variable) -> Variable {
            let one = Variable(1.0)
            return (x * y).tanh() + x.sin().square() + (-(y.square())).exp() / (one + x.square()) + (x - y).softplus()
        }
        for _ in 0..<5 {
            let (px, py) = (rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5))
            let x = Variable(Tensor(px), requiresGradient: true), y = Variable(Tensor(py), requiresGradient: true)
            let first = gradient(of: build(x, y), wrt: [x, y], createGraph: true)
            XCTAssertTrue(first.allSatisfy(\.requiresGradient))
            let names = ["x", "y"], point = ["x": px, "y": py]
            for i in 0..<2 {
                XCTAssertEqual(first[i].value.scalar, try f.diff(names[i]).evaluate(point), accuracy: 1e-12)
                let second = gradient(of: first[i], wrt: [x, y])
                for j in 0..<2 {
                    let exact = try f.diff(names[i]).diff(names[j]).evaluate(point)
                    XCTAssertEqual(second[j].value.scalar, exact, accuracy: 1e-11 * max(1, abs(exact)), "d2f/d\(names[i])d\(names[j])")
                }
            }
        }
    }

    /// MAML over an HNN differentiates through a gradient of a gradient: third order.
    func testThirdDerivative() throws {
        let f = try Expr.parse("tanh(x)*x^2 + 1/(1 + exp(-2*x))")
        for px in [-0.7, 0.3, 1.1] {
            let x = Variable(Tensor(px), requiresGradient: true)
            let y = x.tanh() * x.square() + (x * 2).sigmoid()
            let d1 = gradient(of: y, wrt: [x], createGraph: true)[0]
            let d2 = gradient(of: d1, wrt: [x], createGraph: true)[0]
            let d3 = gradient(of: d2, wrt: [x])[0]
            XCTAssertEqual(d3.value.scalar, try f.diff("x", times: 3).evaluate(["x": px]), accuracy: 1e-10)
            XCTAssertFalse(d3.requiresGradient)  // without createGraph the result is a constant
        }
    }

    /// The HNN loss ‖∂H_θ/∂x − target‖² needs ∂/∂θ of a gradient in x: checked by finite
    /// differences on the weights.
    func testDoubleBackpropagationThroughAnHNNLoss() {
        let (batch, d, hidden) = (5, 4, 6)
        let X = random([batch, d]), target = random([batch, d])
        let W1 = random([d, hidden]), b1 = random([hidden]), W2 = random([hidden, 1])
        func loss(_ w1: Variable, _ bias: Variable, _ w2: Variable, createGraph: Bool) -> Variable {
            let x = Variable(X, requiresGradient: true)
            let H = Variable.matmul((Variable.matmul(x, w1) + bias).tanh(), w2).sum()
            let dHdx = gradient(of: H, wrt: [x], createGraph: createGraph)[0]
            return (dHdx - Variable(target)).square().mean()
        }
        let params = [W1, b1, W2].map { Variable($0, requiresGradient: true) }
        let grads = gradient(of: loss(params[0], params[1], params[2], createGraph: true), wrt: params)
        for (k, p) in [W1, b1, W2].enumerated() {
            for i in Swift.stride(from: 0, to: p.count, by: 3) {
                func at(_ delta: Double) -> Double {
                    var ts = [W1, b1, W2]
                    ts[k].storage[i] += delta
                    return loss(Variable(ts[0]), Variable(ts[1]), Variable(ts[2]), createGraph: false).value.scalar
                }
                let numeric = (at(1e-6) - at(-1e-6)) / 2e-6
                XCTAssertEqual(grads[k].value.storage[i], numeric, accuracy: 1e-7 * max(1, abs(numeric)), "parameter \(k), element \(i)")
            }
        }
    }

    /// The vectorised tanh against tanh in 80-bit precision: within 3 ulp everywhere (libm's
    /// own is within 2.2 here), exact at the special values, ±1 where tanh rounds to ±1.
    func testTanhKernelIsAccurate() {
        var xs = stride(from: -25.0, through: 25.0, by: 0.001137).map { $0 }
        for e in -320...2 { for m in [1.0, 1.37, 3.9, 7.3] { xs += [m * pow(10, Double(e)), -m * pow(10, Double(e))] } }
        xs += (0..<20000).map { _ in rng.uniform(-1, 1) } + [0.34657359027997264, 0.3465735902799727, 19.06, 20, 20.000001]
        let got = Tensor(xs).tanh().storage
        var worst = 0.0
        for (x, y) in zip(xs, got) {
            let exact = Foundation.tanhl(Float80(x)), rounded = Double(exact)
            let ulp = rounded == 0 ? Double.leastNonzeroMagnitude : abs(rounded).ulp
            let error = Double(abs(Float80(y) - exact)) / ulp
            worst = max(worst, error)
            XCTAssertLessThanOrEqual(error, 3, "tanh(\(x)) = \(y), exact \(exact)")
        }
        XCTAssertGreaterThan(worst, 0.4)  // the comparison measures something
        // The vectorised clone this CPU runs gives the plain x86-64 path's bits exactly.
        var baseline = [Double](repeating: 0, count: xs.count)
        nk_tanh_baseline(xs, &baseline, xs.count)
        XCTAssertEqual(got.map(\.bitPattern), baseline.map(\.bitPattern))
        let special = Tensor([0, -0.0, .infinity, -.infinity, .nan, 1e-310, -1e-310, 19.1, -25]).tanh().storage
        XCTAssertEqual(special[0].sign, .plus); XCTAssertEqual(special[1].sign, .minus); XCTAssertEqual(special[1], 0)
        XCTAssertEqual(Array(special[2...3]), [1, -1]); XCTAssertTrue(special[4].isNaN)
        XCTAssertEqual(Array(special[5...]), [1e-310, -1e-310, 1, -1])
    }

    /// The vectorised sigmoid against 1/(1 + e^{−x}) in 80-bit precision: within 4 ulp from
    /// −700 to 700, so both tails keep their relative accuracy (σ(−30) ≈ 9.4e-14 is not rounded
    /// to a multiple of 2^-53), and 0, 1 and NaN at the special values.
    func testSigmoidKernelIsAccurate() {
        let xs = stride(from: -700.0, through: 700.0, by: 0.0371).map { $0 } + (0..<20000).map { _ in rng.uniform(-40, 40) } + [0, -0.0, 1e-300, -30]
        let got = Variable(Tensor(xs)).sigmoid().value.storage
        var worst = 0.0
        for (x, y) in zip(xs, got) {
            let exact = 1 / (1 + Foundation.expl(-Float80(x))), rounded = Double(exact)
            let error = Double(abs(Float80(y) - exact)) / abs(rounded).ulp
            worst = max(worst, error)
            XCTAssertLessThanOrEqual(error, 4, "sigmoid(\(x)) = \(y), exact \(exact)")
        }
        XCTAssertGreaterThan(worst, 0.4)  // the comparison measures something
        let special = Variable(Tensor([.infinity, -.infinity, .nan, 800, -800])).sigmoid().value.storage
        XCTAssertEqual(special[0], 1); XCTAssertEqual(special[1], 0); XCTAssertTrue(special[2].isNaN)
        XCTAssertEqual(special[3], 1); XCTAssertEqual(special[4], 0)
    }

    /// The vectorised softplus against log(1 + eˣ) in 80-bit precision: within 4 ulp from −700 to
    /// 700 (the negative tail e^x keeps its relative accuracy), max(x, 0) beyond, NaN kept.
    func testSoftplusKernelIsAccurate() {
        let xs = stride(from: -700.0, through: 700.0, by: 0.0371).map { $0 } + (0..<20000).map { _ in rng.uniform(-40, 40) } + [0, -0.0, 1e-300, -30, 36.7]
        let got = Variable(Tensor(xs)).softplus().value.storage
        var worst = 0.0
        for (x, y) in zip(xs, got) {
            let exact = Foundation.log1pl(Foundation.expl(Float80(x))), rounded = Double(exact)
            let error = Double(abs(Float80(y) - exact)) / abs(rounded).ulp
            worst = max(worst, error)
            XCTAssertLessThanOrEqual(error, 4, "softplus(\(x)) = \(y), exact \(exact)")
        }
        XCTAssertGreaterThan(worst, 0.4)  // the comparison measures something
        let special = Variable(Tensor([.infinity, -.infinity, .nan, 800, -800])).softplus().value.storage
        XCTAssertEqual(special[0], .infinity); XCTAssertEqual(special[1], 0); XCTAssertTrue(special[2].isNaN)
        XCTAssertEqual(special[3], 800); XCTAssertEqual(special[4], 0)
    }

    func testBroadcastRules() {
        XCTAssertEqual(Tensor.broadcastShape([3, 4], [4]), [3, 4])
        XCTAssertEqual(Tensor.broadcastShape([3, 1], [1, 4]), [3, 4])
        XCTAssertEqual(Tensor.broadcastShape([2, 3, 4], [3, 1]), [2, 3, 4])
        XCTAssertNil(Tensor.broadcastShape([3, 4], [3]))
        let a = Tensor([[1.0, 2], [3, 4]])
        XCTAssertEqual(Tensor.zip(a, Tensor([10.0, 20]), +).storage, [11, 22, 13, 24])
        XCTAssertEqual(a.summed(to: [1, 2]).storage, [4, 6])
        XCTAssertEqual(a.summed(to: [2, 1]).storage, [3, 7])
        XCTAssertEqual(Tensor.matmul(a, a, transposeA: true).storage, [10, 14, 14, 20])
    }

    /// Slicing and concatenation on values: a slice of a concatenation is the part.
    func testSliceAndConcatenateValues() {
        let a = random([2, 3, 4]), b = random([2, 5, 4])
        let joined = Tensor.concatenate([a, b], axis: 1)
        XCTAssertEqual(joined.shape, [2, 8, 4])
        XCTAssertEqual(joined.slice(axis: 1, 0..<3), a)
        XCTAssertEqual(joined.slice(axis: 1, 3..<8), b)
        XCTAssertEqual(a.slice(axis: 2, 1..<3).padded(axis: 2, offset: 1, length: 4).slice(axis: 2, 1..<3), a.slice(axis: 2, 1..<3))
        XCTAssertEqual(Tensor([[1.0, 2, 3], [4, 5, 6]]).slice(axis: 1, 1..<2).storage, [2, 5])
    }

    /// The map (x, y) ↦ (sin(x y) + x², exp(−y) x, tanh(x − 2y)) and its exact Jacobian, and
    /// f(x, y) = x² y + cos(x y) + log(1 + e^y) and its exact Hessian, per sample of a batch.
    func testBatchedJacobianHessianJVPAndVJPAgainstExactDerivatives() throws {
        let components = try ["sin(x*y) + x^2", "exp(-y)*x", "tanh(x - 2*y)"].map { try Expr.parse($0) }
        let scalar = try Expr.parse("x^2*y + cos(x*y) + log(1 + exp(y))")
        func map(_ s: Variable) -> Variable {
            let (x, y) = (s.slice(axis: 1, 0), s.slice(axis: 1, 1))
            return Variable.concatenate([(x * y).sin() + x.square(), (-y).exp() * x, (x - y * 2).tanh()], axis: 1)
        }
        func f(_ s: Variable) -> Variable {
            let (x, y) = (s.slice(axis: 1, 0), s.slice(axis: 1, 1))
            return x.square() * y + (x * y).cos() + y.softplus()
        }
        let batch = 6
        let points = random([batch, 2], -1.5, 1.5)
        let x = Variable(points)
        let J = Derivatives.jacobian(map, at: x).value, H = Derivatives.hessian(f, at: x).value
        XCTAssertEqual(J.shape, [batch, 3, 2])
        XCTAssertEqual(H.shape, [batch, 2, 2])
        let u = random([batch, 2]), v = random([batch, 3])
        let jvp = Derivatives.jvp(map, at: x, tangent: Variable(u)).jvp.value
        let vjp = Derivatives.vjp(map, at: x, cotangent: Variable(v)).vjp.value
        let names = ["x", "y"]
        for b in 0..<batch {
            let point = ["x": points.storage[2 * b], "y": points.storage[2 * b + 1]]
            for i in 0..<3 {
                var ju = 0.0
                for j in 0..<2 {
                    let exact = try components[i].diff(names[j]).evaluate(point)
                    XCTAssertEqual(J.storage[(b * 3 + i) * 2 + j], exact, accuracy: 1e-13 * max(1, abs(exact)), "J[\(b)][\(i)][\(j)]")
                    ju += exact * u.storage[b * 2 + j]
                }
                XCTAssertEqual(jvp.storage[b * 3 + i], ju, accuracy: 1e-13 * max(1, abs(ju)), "(J u)[\(b)][\(i)]")
            }
            for j in 0..<2 {
                var vj = 0.0
                for i in 0..<3 { vj += v.storage[b * 3 + i] * (try components[i].diff(names[j]).evaluate(point)) }
                XCTAssertEqual(vjp.storage[b * 2 + j], vj, accuracy: 1e-13 * max(1, abs(vj)), "(v J)[\(b)][\(j)]")
                for k in 0..<2 {
                    let exact = try scalar.diff(names[j]).diff(names[k]).evaluate(point)
                    XCTAssertEqual(H.storage[(b * 2 + j) * 2 + k], exact, accuracy: 1e-12 * max(1, abs(exact)), "H[\(b)][\(j)][\(k)]")
                }
            }
        }
    }

    /// A differentiable Jacobian: d/dθ of Σ J(x; θ)² against central differences in θ.
    func testJacobianIsDifferentiableWithCreateGraph() {
        let points = random([4, 2]), W = random([2, 3])
        func loss(_ w: Variable, createGraph: Bool) -> Variable {
            Derivatives.jacobian({ Variable.matmul($0, w).tanh() }, at: Variable(points), createGraph: createGraph).square().sum()
        }
        let w = Variable(W, requiresGradient: true)
        let g = gradient(of: loss(w, createGraph: true), wrt: [w])[0]
        for i in 0..<W.count {
            func at(_ delta: Double) -> Double { var t = W; t.storage[i] += delta; return loss(Variable(t), createGraph: false).value.scalar }
            let numeric = (at(1e-6) - at(-1e-6)) / 2e-6
            XCTAssertEqual(g.value.storage[i], numeric, accuracy: 1e-7 * max(1, abs(numeric)), "element \(i)")
        }
    }
}
