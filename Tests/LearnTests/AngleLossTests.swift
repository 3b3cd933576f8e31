import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// The flow's `dkdphi` loss (Bondesan & Lamacraft appendix D.1) against exact mathematics: it
/// is Σ_k (∂K/∂φ_k)² for K = H ∘ T⁻¹, checked against the difference quotient of K in the
/// angles; it vanishes for the exact action–angle map of a harmonic oscillator and not for a
/// wrong one; θ's gradient matches central differences; and trained on the pendulum, it finds
/// the level set whose action (by quadrature) is the torus's.
final class AngleLossTests: XCTestCase {
    func field(_ h: String, _ names: [(String, String)]) throws -> HamiltonianVectorField {
        try HamiltonianVectorField(hamiltonian: try Expr.parse(h), pairs: names.map { CanonicalPair($0.0, $0.1) })
    }

    func randomFlow(dimension: Int, seed: UInt64) -> SymplecticFlow {
        let flow = SymplecticFlow(dimension: dimension, blocks: 2, hidden: 7, couplings: 2, loss: .dkdphi, actions: [0.7, 1.3], seed: seed)
        var rng = SeededGenerator(seed: seed &+ 5)
        for (name, p) in flow.parameters where name != "centers" {
            let spread = name.hasSuffix("scale") || name.hasSuffix("shear") ? 0.3 : 0.6
            p.value = Tensor(shape: p.value.shape, storage: p.value.storage.map { _ in rng.normal() * spread })
        }
        return flow
    }

    /// z on the torus I at angles φ.
    func torus(_ actions: [Double], _ phi: [Double]) -> [Double] {
        let r = actions.map { (2 * $0).squareRoot() }
        return zip(r, phi).map { $0 * cos($1) } + zip(r, phi).map { $0 * sin($1) }
    }

    /// The loss is the mean of Σ_k (∂K/∂φ_k)², ∂K/∂φ_k by central differences of H(T⁻¹(z(φ)))
    /// in φ_k: the identity ∂K/∂φ_k = dI_k/dt that the loss computes through the forward map.
    func testTheLossIsTheAngleDerivativeOfTheTransformedHamiltonian() throws {
        let H = try field("p1^2/2 + p2^2/2 + q1^2/2 + q2^2 + q1^4/4 + q1*q2^2", [("q1", "p1"), ("q2", "p2")])
        let flow = randomFlow(dimension: 4, seed: 3)
        flow.field = H
        var rng = SeededGenerator(seed: 8)
        let angles = (0..<6).map { _ in [rng.uniform(0, 6.28), rng.uniform(0, 6.28)] }
        let z = Tensor(shape: [6, 4], storage: angles.flatMap { torus(flow.actions, $0) })
        let loss = try Recording.with(false) { try flow.losses(Batch(["z": z]))["dkdphi"]!.value.scalar }
        var expected = 0.0
        for phi in angles {
            for k in 0..<2 {
                func K(_ delta: Double) -> Double {
                    var shifted = phi
                    shifted[k] += delta
                    return H.energy(flow.inverse(Tensor(shape: [1, 4], storage: torus(flow.actions, shifted))).storage)
                }
                let h = 1e-5
                let rate = (K(h) - K(-h)) / (2 * h)
                expected += rate * rate
            }
        }
        expected /= 6
        XCTAssertGreaterThan(expected, 1e-2, "a random flow is far from action-angle coordinates")
        XCTAssertEqual(loss, expected, accuracy: 1e-6 * expected)
    }

    /// H = (p² + ω² q²)/2 with ω = 2: the map (q, p) ↦ (√ω q, p/√ω) is its action–angle map
    /// (I = H/ω), a flow whose only non-identity layer is the scale e^ℓ = √ω with the couplings
    /// at zero. There the loss is zero to rounding; at e^ℓ = 1 it is not.
    func testTheLossVanishesOnTheExactActionAngleMapOfAnOscillator() throws {
        let H = try field("p^2/2 + 2*q^2", [("q", "p")])
        func loss(scale: Double) throws -> Double {
            let flow = SymplecticFlow(dimension: 2, blocks: 1, hidden: 4, couplings: 2, loss: .dkdphi, actions: [0.8], seed: 1)
            flow.field = H
            for (name, p) in flow.parameters {
                if name.hasSuffix("phases") || name.hasSuffix("weight") || name.hasSuffix("bias3") { p.value = Tensor.zeros(p.value.shape) }
                if name.hasSuffix("scale") { p.value = Tensor(shape: [1, 1], storage: [log(scale)]) }
            }
            let source = (0..<40).map { Double($0) * 2 * Double.pi / 40 }
            let z = Tensor(shape: [40, 2], storage: source.flatMap { torus([0.8], [$0]) })
            return try Recording.with(false) { try flow.losses(Batch(["z": z]))["dkdphi"]!.value.scalar }
        }
        XCTAssertLessThan(try loss(scale: 2.0.squareRoot()), 1e-16)
        XCTAssertGreaterThan(try loss(scale: 1), 0.1)
    }

    /// θ's gradient at fixed points x (the loss's own, the forward map's at x ± ε X_H) against
    /// central differences, a few entries of every tensor. The loss is itself a difference
    /// quotient in time, so its rounding is larger than a plain loss's: θ's step is 10⁻⁴.
    func testGradientMatchesCentralDifferences() throws {
        let H = try field("p1^2/2 + p2^2/2 + q1^2/2 + q2^2 + q1^4/4 + q1*q2^2", [("q1", "p1"), ("q2", "p2")])
        let flow = randomFlow(dimension: 4, seed: 11)
        var rng = SeededGenerator(seed: 2)
        let x = (0..<(5 * 4)).map { _ in rng.normal() }
        let θ = flow.variables
        let loss = flow.angleLoss(points: x, H, θ)
        let grads = gradient(of: loss, wrt: θ)
        for (k, (name, p)) in flow.parameters.enumerated() {
            for entry in Set((0..<3).map { _ in Int(rng.next() % UInt64(p.value.count)) }) {
                let keep = p.value, h = 1e-4
                func at(_ delta: Double) -> Double {
                    var v = keep
                    v.storage[entry] += delta
                    p.value = v
                    defer { p.value = keep }
                    return Recording.with(false) { flow.angleLoss(points: x, H, θ).value.scalar }
                }
                // The moving centres are not trained (their gradient is zero by design).
                if name == "centers" { XCTAssertEqual(grads[k].value.storage[entry], 0); continue }
                let numeric = (at(h) - at(-h)) / (2 * h)
                XCTAssertEqual(grads[k].value.storage[entry], numeric, accuracy: 1e-5 * max(1, abs(numeric)), "\(name)[\(entry)]")
            }
        }
    }

    /// The action of H = p²/(2a) + b(1 − cos q) at energy E < 2b: √(ab) I₁(E/b), where I₁(ε) =
    /// (4k²/π) ∫ cos²ψ / √(1 − k² sin²ψ) dψ over (−π/2, π/2), k² = ε/2 (sin(q/2) = k sin ψ), by
    /// Simpson's rule on a smooth integrand.
    func pendulumAction(_ E: Double, a: Double = 1, b: Double = 1) -> Double {
        let k2 = E / b / 2, m = 400, h = Double.pi / Double(m)
        var s = 0.0
        for i in 0...m {
            let psi = -Double.pi / 2 + Double(i) * h
            let f = cos(psi) * cos(psi) / (1 - k2 * sin(psi) * sin(psi)).squareRoot()
            s += f * (i == 0 || i == m ? 1 : (i % 2 == 1 ? 4 : 2))
        }
        return (a * b).squareRoot() * 4 * k2 / Double.pi * s * h / 3
    }

    /// Trained on the pendulum's H alone (no trajectory), the image of the circle I = 0.5 becomes
    /// a level set of H, and, the flow being symplectic, the one whose action is 0.5.
    func testOnThePendulumTheTorusBecomesTheLevelSetOfItsAction() throws {
        // Small oscillations: I = E/ω, ω = √(b/a).
        XCTAssertEqual(pendulumAction(1e-6, a: 0.5, b: 3), 1e-6 / 6.0.squareRoot(), accuracy: 1e-12)
        var recipe = InitialConditions.recipe(for: "pendulum")
        recipe.trajectories = 1
        recipe.samples = 2
        let data = try Dataset.generate(Dataset.Specification(system: try Catalog.system("pendulum"), catalogName: "pendulum", recipe: recipe, seed: 0))
        let flow = SymplecticFlow(dimension: 2, blocks: 2, hidden: 16, couplings: 2, loss: .dkdphi, actions: [0.5], seed: 4)
        let source = flow.batchSource(for: data)
        try source.validate()
        let test = try XCTUnwrap(source.testBatch)
        func energies() throws -> [Double] {
            let x = flow.inverse(try test.tensor("z", for: "flow"))
            return (0..<(x.count / 2)).map { flow.field!.energy([x.storage[2 * $0], x.storage[2 * $0 + 1]]) }
        }
        func spread(_ e: [Double]) -> Double { (e.max()! - e.min()!) / (e.reduce(0, +) / Double(e.count)) }
        let before = spread(try energies())
        let report = try train(flow, on: source, options: TrainingOptions(steps: 400, batchSize: 64, learningRate: 3e-3, seed: 1))
        XCTAssertNil(report.stoppedEarly)
        let e = try energies(), after = spread(e)
        XCTAssertGreaterThan(before, 0.3, "a fresh flow's torus crosses level sets")
        XCTAssertLessThan(after, 0.05 * before, "H's relative spread on the torus, \(before) before training")
        let mean = e.reduce(0, +) / Double(e.count)
        // The recipe's pendulum, H = p² + 3(1 − cos q): a = m l², b = m g l.
        let (m, l, g) = (data.parameters["m"]!, data.parameters["l"]!, data.parameters["g"]!)
        XCTAssertEqual(pendulumAction(mean, a: m * l * l, b: m * g * l), 0.5, accuracy: 0.01, "the level set E = \(mean)")
    }
}
