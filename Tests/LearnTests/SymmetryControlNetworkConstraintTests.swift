import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// SCNN-constraint, checked against exact mathematics: the term is mean_b Σ_c {C_c, H_θ}² with
/// the bracket computed independently (central differences of C and of the model's H), it is
/// exactly zero for a conserved quantity of an H built to have it, its gradient matches central
/// differences, and the constraints survive a checkpoint and a damaged spec is refused.
final class SymmetryControlNetworkConstraintTests: XCTestCase {
    typealias SCNN = SymmetryControlNetwork

    let coordinates = ["q1", "q2", "p1", "p2"]

    func randomStates(rows: Int, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [rows, 4], storage: (0..<(rows * 4)).map { _ in rng.uniform(-1, 1) })
    }

    func batch(_ x: Tensor, seed: UInt64) -> Batch {
        var rng = SeededGenerator(seed: seed)
        return Batch(["x": x, "dx": Tensor(shape: x.shape, storage: x.storage.map { _ in rng.uniform(-1, 1) })])
    }

    func expr(_ text: String) -> Expr { try! Expr.parse(text) }

    func model(_ constraints: [String], weight: Double = 0.5, cyclic: Int = 1, seed: UInt64 = 3) throws -> SCNN {
        SCNN(dimension: 4, hidden: 6, layers: 2, cyclic: cyclic, settings: .init(alpha1: 0.1, alpha2: 0.2),
             constraints: try ConstraintTerm(constraints.map(expr), coordinates: coordinates, weight: weight), initializer: .orthogonal, seed: seed)
    }

    /// mean_b Σ_c {C_c, H}(x_b)², each bracket Σ_i ∂C/∂q_i ∂H/∂p_i − ∂C/∂p_i ∂H/∂q_i from central
    /// differences (h = 1e-5) of C, evaluated from its text, and of H.
    func bracketTerm(_ texts: [String], of H: ([Double]) -> Double, at x: Tensor) -> Double {
        let rows = x.shape[0], h = 1e-5
        var total = 0.0
        for b in 0..<rows {
            let xb = Array(x.storage[(4 * b)..<(4 * b + 4)])
            func partial(_ f: ([Double]) -> Double, _ j: Int) -> Double {
                var up = xb, down = xb
                up[j] += h; down[j] -= h
                return (f(up) - f(down)) / (2 * h)
            }
            let dH = (0..<4).map { partial(H, $0) }
            for text in texts {
                let c = expr(text)
                let dC = (0..<4).map { j in partial({ s in try! c.evaluate(Dictionary(uniqueKeysWithValues: zip(self.coordinates, s))) }, j) }
                let bracket = dC[0] * dH[2] + dC[1] * dH[3] - dC[2] * dH[0] - dC[3] * dH[1]
                total += bracket * bracket
            }
        }
        return total / Double(rows)
    }

    /// The term equals mean_b Σ_c {C_c, H_θ}(x_b)², the bracket Σ_i ∂C/∂q_i ∂H/∂p_i − ∂C/∂p_i ∂H/∂q_i
    /// from central differences of C (evaluated from its expression) and of the model's own
    /// H_θ = H_φ(T(x)); it is named, listed and weighted in the objective.
    func testTermIsTheBracketWithTheLearnedHamiltonian() throws {
        let texts = ["q1*p2 - q2*p1", "p1 + p2^2", "sin(q1)*p2"]
        let m = try model(texts)
        XCTAssertEqual(m.lossNames, ["hnn", "poisson", "hqp", "constraint"])
        XCTAssertEqual(m.objective.terms.map(\.name), ["hnn", "poisson", "hqp", "constraint"])
        XCTAssertEqual(m.objective.terms.map(\.weight), [1, 0.1, 0.2, 0.5])
        let x = randomStates(rows: 5, seed: 2)
        let expected = bracketTerm(texts, of: { m.hamiltonian($0) }, at: x)
        let term = try Recording.with(false) { try m.losses(batch(x, seed: 1))["constraint"]!.value.scalar }
        XCTAssertGreaterThan(expected, 1e-6, "a bracket that is not already zero")
        XCTAssertEqual(term, expected, accuracy: 1e-7 * max(1, expected))
    }

    /// An exact case: for H = |p|²/2 + |q|⁴/4 with its true field, {L, H} = 0 for the angular
    /// momentum L = q1 p2 − q2 p1 to rounding, while {q1, H} = ∂H/∂p1 = p1 gives mean p1².
    func testTermOnAnExactFieldIsTheBracket() throws {
        let term = try ConstraintTerm([expr("q1*p2 - q2*p1"), expr("q1")], coordinates: coordinates)
        let x = randomStates(rows: 7, seed: 5)
        var field: [Double] = [], p1Squares = 0.0
        for b in 0..<7 {
            let (q1, q2, p1, p2) = (x.storage[4 * b], x.storage[4 * b + 1], x.storage[4 * b + 2], x.storage[4 * b + 3])
            let r2 = q1 * q1 + q2 * q2
            field += [p1, p2, -r2 * q1, -r2 * q2]
            p1Squares += p1 * p1
        }
        let G = term.gradients(at: x)
        XCTAssertEqual(G.shape, [7, 2, 4])
        let f = Variable(Tensor(shape: [7, 4], storage: field))
        let angular = Variable(Tensor(shape: [7, 1, 4], storage: (0..<7).flatMap { Array(G.storage[($0 * 8)..<($0 * 8 + 4)]) }))
        XCTAssertEqual(ConstraintTerm.loss(gradients: angular, field: f).value.scalar, 0, accuracy: 1e-30)
        XCTAssertEqual(ConstraintTerm.loss(gradients: Variable(G), field: f).value.scalar, p1Squares / 7, accuracy: 1e-14)
    }

    /// Exactly zero on the network itself: when T's first layer gives q2 the negated weights of
    /// q1, T and so H_θ depend on q1 − q2 only, H_θ is translation invariant and {p1 + p2, H_θ}
    /// = −(∂H/∂q1 + ∂H/∂q2) = 0 to rounding; a single momentum p1 is not conserved.
    func testTermVanishesForAQuantityTheLearnedHamiltonianConserves() throws {
        let x = randomStates(rows: 6, seed: 7)
        for (text, zero) in [("p1 + p2", true), ("p1", false)] {
            let m = try model([text])
            let W = m.transform.weights[0]
            for u in 0..<W.value.shape[1] { W.value.storage[W.value.shape[1] + u] = -W.value.storage[u] }
            let term = try Recording.with(false) { try m.losses(batch(x, seed: 1))["constraint"]!.value.scalar }
            if zero { XCTAssertEqual(term, 0, accuracy: 1e-28, text) } else { XCTAssertGreaterThan(term, 1e-6, text) }
        }
    }

    /// The gradient of the term (and of every other term of a constrained model) with respect to
    /// entries of every parameter tensor matches central differences.
    func testTermGradientMatchesFiniteDifferences() throws {
        let m = try model(["q1*p2 - q2*p1", "p1 + p2"], cyclic: 2)
        let b = batch(randomStates(rows: 6, seed: 11), seed: 12)
        try assertLossGradientsMatchFiniteDifferences(m, on: b, "constraints")
    }

    /// A checkpoint carries the constraints (texts, coordinates, weight): the model reads back
    /// with the same spec, term and losses; a model without constraints keeps its old spec.
    func testCheckpointCarriesTheConstraints() throws {
        let m = try model(["q1*p2 - q2*p1", "p1 + p2", "1/2*p1^2 + 0.25*q1^4"], weight: 2)
        XCTAssertEqual(m.spec.description, "dimension=4 hidden=6 layers=2 activation=tanh cyclic=1 alpha1=0.1 alpha2=0.2 beta=0.0 poisson=all "
                       + "alpha3=2.0 constraints=p2*q1-p1*q2;p1+p2;0.25*q1^4+p1^2/2 coordinates=q1,q2,p1,p2")
        let path = NSTemporaryDirectory() + "noether-scnn-constraints-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(m, provenance: .init(system: "test", names: coordinates, parameters: [:]), to: path)
        let read = try XCTUnwrap(try Checkpoint.read(path).model as? SCNN)
        XCTAssertEqual(read.spec, m.spec)
        XCTAssertEqual(read.constraints, m.constraints)
        XCTAssertEqual(read.objective.terms.map(\.weight), m.objective.terms.map(\.weight))
        let b = batch(randomStates(rows: 4, seed: 3), seed: 4)
        let a = try read.losses(b), c = try m.losses(b)
        for name in m.lossNames { XCTAssertEqual(a[name]!.value.scalar, c[name]!.value.scalar, name) }
        XCTAssertEqual(read.copy().constraints, m.constraints)
        // A file whose state is named otherwise than the constraints' coordinates would feed
        // their gradients the wrong columns: refused on reading, for scnn and hnn alike.
        let hnn = HamiltonianNeuralNetwork(dimension: 4, hidden: 3, layers: 1, constraints: m.constraints, seed: 1)
        for model in [m, hnn] as [any Model] {
            try Checkpoint.save(model, provenance: .init(system: "test", names: ["q2", "q1", "p1", "p2"], parameters: [:]), to: path)
            XCTAssertThrowsError(try Checkpoint.read(path), model.kind) {
                XCTAssertTrue("\($0)".contains("has constraints of (q1, q2, p1, p2) for a state named (q2, q1, p1, p2): the file is inconsistent"), "\($0)")
            }
        }
        let plain = try model([])
        XCTAssertEqual(plain.lossNames, ["hnn", "poisson", "hqp"])
        XCTAssertFalse(plain.spec.description.contains("constraints"))
    }

    /// The registry builds constraints from options; unknown symbols, constants and damaged
    /// specs are refused with messages that say what.
    func testRegistryAndErrors() throws {
        let built = try XCTUnwrap(try ModelRegistry.build("scnn", options: ["hidden": .whole(4), "constraints": .invariants([expr("p1 + p2")], coordinates: coordinates)],
                                                          dimension: 4, seed: 1) as? SCNN)
        XCTAssertEqual(built.constraints.expressions, [expr("p1 + p2")])
        XCTAssertEqual(built.constraints.weight, 1, "the default weight")
        XCTAssertThrowsError(try ConstraintTerm([expr("p1 + z")], coordinates: coordinates)) { error in
            XCTAssertTrue("\(error)".contains("'z'") && "\(error)".contains("coordinates: q1, q2, p1, p2"), "\(error)")
        }
        XCTAssertThrowsError(try ConstraintTerm([expr("3")], coordinates: coordinates)) { error in
            XCTAssertTrue("\(error)".contains("constant"), "\(error)")
        }
        XCTAssertThrowsError(try ModelRegistry.build("scnn", options: ["constraints": .invariants([expr("p1")], coordinates: ["q", "p"])], dimension: 4, seed: 1))
        let spec = try model(["p1 + p2"]).spec.description
        for bad in [spec.replacingOccurrences(of: " coordinates=q1,q2,p1,p2", with: ""), spec.replacingOccurrences(of: "coordinates=q1,q2,p1,p2", with: "coordinates=q1,q2,p1"),
                    spec.replacingOccurrences(of: "constraints=p1+p2", with: "constraints=p1+"), spec.replacingOccurrences(of: "constraints=p1+p2", with: "constraints=p1+w"),
                    spec.replacingOccurrences(of: "alpha3=0.5", with: "alpha3=-1"), spec.replacingOccurrences(of: " constraints=p1+p2", with: "")] {
            XCTAssertThrowsError(try ModelRegistry.decode(kind: "scnn", spec: ModelSpec(parsing: Substring(bad))!), bad)
        }
    }

    /// Training with the constraint term lowers it, against the same run without it (where it is
    /// only measured): L = q1 p2 − q2 p1 on data of a central potential.
    func testTrainingLowersTheTerm() throws {
        var rng = SeededGenerator(seed: 4)
        let rows = 64
        let x = Tensor(shape: [rows, 4], storage: (0..<(rows * 4)).map { _ in rng.uniform(-1, 1) })
        let dx = Tensor(shape: [rows, 4], storage: (0..<rows).flatMap { b -> [Double] in
            let (q1, q2, p1, p2) = (x.storage[4 * b], x.storage[4 * b + 1], x.storage[4 * b + 2], x.storage[4 * b + 3])
            return [p1, p2, -q1, -q2]
        })
        struct Fixed: BatchSource {
            let data: Batch
            var dimension: Int { 4 }
            var count: Int { data["x"]!.shape[0] }
            func batch(_ items: [Int]) -> Batch {
                Batch(["x": Tensor(shape: [items.count, 4], storage: items.flatMap { Array(data["x"]!.storage[(4 * $0)..<(4 * $0 + 4)]) }),
                       "dx": Tensor(shape: [items.count, 4], storage: items.flatMap { Array(data["dx"]!.storage[(4 * $0)..<(4 * $0 + 4)]) })])
            }
            var testBatch: Batch? { nil }
            var provenance: Checkpoint.Provenance { .init(system: "oscillator", names: ["q1", "q2", "p1", "p2"], parameters: [:]) }
            func validate() throws {}
        }
        let source = Fixed(data: Batch(["x": x, "dx": dx]))
        let constrained = try model(["q1*p2 - q2*p1"], weight: 1, seed: 2)
        let before = try train(constrained, on: source, options: TrainingOptions(steps: 1, learningRate: 0))
        let after = try train(constrained, on: source, options: TrainingOptions(steps: 200, learningRate: 1e-2))
        XCTAssertNil(after.stoppedEarly)
        XCTAssertLessThan(after.terms["constraint"]!, 0.1 * before.terms["constraint"]!, "\(before.terms["constraint"]!) -> \(after.terms["constraint"]!)")
        XCTAssertEqual(after.finalTrainingLoss, after.terms["hnn"]! + 0.1 * after.terms["poisson"]! + 0.2 * after.terms["hqp"]! + after.terms["constraint"]!,
                       accuracy: 1e-12)
    }

    /// The paper's SCNN-constraint: an HNN of (q, p) with the same term. It equals
    /// mean_b Σ_c {C_c, H_θ}² with the bracket from central differences of C and of the HNN's
    /// H; the checkpoint carries the constraints and reads back to the same losses.
    func testHamiltonianNetworkWithConstraints() throws {
        let texts = ["q1*p2 - q2*p1", "p1 + p2"]
        let m = HamiltonianNeuralNetwork(dimension: 4, hidden: 6, layers: 2,
                                         constraints: try ConstraintTerm(texts.map(expr), coordinates: coordinates, weight: 0.5), initializer: .orthogonal, seed: 3)
        XCTAssertEqual(m.lossNames, ["mse", "constraint"])
        XCTAssertEqual(m.objective.terms.map(\.weight), [1, 0.5])
        let x = randomStates(rows: 5, seed: 2)
        let expected = bracketTerm(texts, of: { m.hamiltonian($0) }, at: x)
        let b = batch(x, seed: 1)
        let term = try Recording.with(false) { try m.losses(b)["constraint"]!.value.scalar }
        XCTAssertGreaterThan(expected, 1e-6, "a bracket that is not already zero")
        XCTAssertEqual(term, expected, accuracy: 1e-7 * max(1, expected))
        // Through a checkpoint: same spec, constraints and losses; the plain HNN's spec is unchanged.
        let path = NSTemporaryDirectory() + "noether-hnn-constraints-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(m, provenance: .init(system: "test", names: coordinates, parameters: [:]), to: path)
        let read = try XCTUnwrap(try Checkpoint.read(path).model as? HamiltonianNeuralNetwork)
        XCTAssertEqual(read.spec, m.spec)
        XCTAssertEqual(read.constraints, m.constraints)
        let a = try Recording.with(false) { try read.losses(b) }, c = try Recording.with(false) { try m.losses(b) }
        for name in m.lossNames { XCTAssertEqual(a[name]!.value.scalar, c[name]!.value.scalar, name) }
        let plain = HamiltonianNeuralNetwork(dimension: 4, hidden: 6, layers: 2, seed: 1)
        XCTAssertEqual(plain.spec.description, "dimension=4 hidden=6 layers=2 activation=tanh")
        XCTAssertEqual(plain.lossNames, ["mse"])
    }
}
