import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// Song & Jeong's MAML against finite differences: the derivative through the inner step (third
/// derivatives of H_θ) is the finite difference of the second-order quantity it differentiates,
/// and the meta-gradient is the finite difference of the post-adaptation loss; first-order MAML
/// is measurably not. Tasks, embeddings and bad input are checked against what they must be.
final class MetaLearningTests: XCTestCase {
    /// A small HNN (2 degrees of freedom, 5 units) with weights of order one.
    func smallHNN(seed: UInt64) -> HamiltonianNeuralNetwork {
        let m = HamiltonianNeuralNetwork(dimension: 4, hidden: 5, layers: 2, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 11)
        for p in m.variables { p.value = Tensor(shape: p.shape, storage: p.value.storage.map { _ in rng.normal() * 0.6 }) }
        return m
    }

    func randomTask(rows: Int, seed: UInt64) -> MetaLearning.Task {
        var rng = SeededGenerator(seed: seed)
        func t() -> Tensor { Tensor(shape: [rows, 4], storage: (0..<(rows * 4)).map { _ in rng.normal() }) }
        return .init(supportX: t(), supportDX: t(), queryX: t(), queryDX: t(), system: "random")
    }

    /// θ + h·direction, as fresh leaf variables.
    func shifted(_ θ: [Variable], _ direction: [[Double]], _ h: Double) -> [Variable] {
        zip(θ, direction).map { v, d in Variable(Tensor(shape: v.shape, storage: zip(v.value.storage, d).map { $0 + h * $1 }), requiresGradient: true) }
    }

    /// Q(θ) = <∇_θ L_support(θ), v> holds second derivatives of H_θ; its gradient, taken through
    /// the recorded inner gradient, holds third. It equals Q's central finite differences.
    func testThirdDerivativesThroughTheInnerGradient() {
        let m = smallHNN(seed: 1), task = randomTask(rows: 6, seed: 2)
        var rng = SeededGenerator(seed: 3)
        let θ = m.variables
        let v = θ.map { p in p.value.storage.map { _ in rng.normal() } }
        func Q(_ at: [Variable], createGraph: Bool) -> Variable {
            let loss = Recording.with(true) { MetaLearning.taskLoss(m, x: task.supportX, dx: task.supportDX, at: at) }
            let g = gradient(of: loss, wrt: at, createGraph: createGraph)
            return Recording.with(createGraph) {
                zip(g, v).map { ($0 * Variable(Tensor(shape: $0.shape, storage: $1))).sum() }.reduce(Variable(Tensor.zeros([]))) { $0 + $1 }
            }
        }
        let analytic = gradient(of: Q(θ, createGraph: true), wrt: θ).map(\.value.storage)
        // Central differences along random directions u: dQ·u against (Q(θ + hu) − Q(θ − hu))/2h.
        for trial in 0..<4 {
            let u = θ.map { p in p.value.storage.map { _ in rng.normal() } }
            let h = 1e-5
            let plus = Q(shifted(θ, u, h), createGraph: false).value.scalar, minus = Q(shifted(θ, u, -h), createGraph: false).value.scalar
            let numeric = (plus - minus) / (2 * h)
            let exact = zip(analytic, u).reduce(0.0) { $0 + zip($1.0, $1.1).reduce(0.0) { $0 + $1.0 * $1.1 } }
            XCTAssertEqual(exact, numeric, accuracy: 1e-6 * max(1, abs(numeric)), "direction \(trial)")
        }
    }

    /// F(θ) = Σ_i L_query_i(θ − α∇L_support_i(θ)): the second-order meta-gradient is its finite
    /// difference, for one and for two inner steps; the first-order one is not (it drops the
    /// α∇²L term, here a relative difference of several per cent).
    func testMetaGradientIsTheFiniteDifferenceOfThePostAdaptationLoss() throws {
        let m = smallHNN(seed: 4)
        let tasks = [randomTask(rows: 5, seed: 5), randomTask(rows: 5, seed: 6)]
        var rng = SeededGenerator(seed: 7)
        let θ0 = m.variables.map(\.value)
        for innerSteps in [1, 2] {
            let settings = MetaLearning.Settings(innerSteps: innerSteps, innerLearningRate: 0.05)
            let analytic = try MetaLearning.metaGradient(m, tasks: tasks, settings: settings).gradients.map(\.value.storage)
            var firstOrder = settings; firstOrder.secondOrder = false
            let approximate = try MetaLearning.metaGradient(m, tasks: tasks, settings: firstOrder).gradients.map(\.value.storage)
            func F(_ values: [Tensor]) throws -> Double {
                for (p, v) in zip(m.variables, values) { p.value = v }
                defer { for (p, v) in zip(m.variables, θ0) { p.value = v } }
                return try MetaLearning.metaGradient(m, tasks: tasks, settings: firstOrder).loss
            }
            var firstOrderGap = 0.0
            for trial in 0..<4 {
                let u = θ0.map { t in t.storage.map { _ in rng.normal() } }
                let h = 1e-5
                let plus = try F(zip(θ0, u).map { Tensor(shape: $0.shape, storage: zip($0.storage, $1).map { $0 + h * $1 }) })
                let minus = try F(zip(θ0, u).map { Tensor(shape: $0.shape, storage: zip($0.storage, $1).map { $0 - h * $1 }) })
                let numeric = (plus - minus) / (2 * h)
                func along(_ g: [[Double]]) -> Double { zip(g, u).reduce(0.0) { $0 + zip($1.0, $1.1).reduce(0.0) { $0 + $1.0 * $1.1 } } }
                XCTAssertEqual(along(analytic), numeric, accuracy: 1e-6 * max(1, abs(numeric)), "inner steps \(innerSteps), direction \(trial)")
                firstOrderGap = max(firstOrderGap, abs(along(approximate) - numeric) / max(1, abs(numeric)))
            }
            XCTAssertGreaterThan(firstOrderGap, 1e-3, "first-order MAML should differ from the exact meta-gradient")
        }
    }

    /// The fused route (an HNN with a tanh MLP, one inner step: the meta-gradient by hand, the
    /// Hessian-vector product by forward mode) gives the graph route's meta-loss and
    /// meta-gradient, second and first order, for one to three hidden layers.
    func testFusedRouteEqualsTheGraphRoute() throws {
        defer { MetaLearning.useFusedRoute = true }
        for (n, layers) in [1, 2, 3].enumerated() {
            let m = HamiltonianNeuralNetwork(dimension: 4, hidden: 6, layers: layers, seed: UInt64(20 + n))
            var rng = SeededGenerator(seed: UInt64(30 + n))
            for p in m.variables { p.value = Tensor(shape: p.shape, storage: p.value.storage.map { _ in rng.normal() * 0.6 }) }
            let tasks = [randomTask(rows: 7, seed: 40), randomTask(rows: 7, seed: 41), randomTask(rows: 7, seed: 42)]
            for secondOrder in [true, false] {
                let settings = MetaLearning.Settings(innerSteps: 1, innerLearningRate: 0.05, secondOrder: secondOrder)
                MetaLearning.useFusedRoute = true
                XCTAssertNotNil(MetaLearning.fusedNetwork(m, settings: settings), "layers \(layers)")
                let fused = try MetaLearning.metaGradient(m, tasks: tasks, settings: settings)
                MetaLearning.useFusedRoute = false
                let graph = try MetaLearning.metaGradient(m, tasks: tasks, settings: settings)
                XCTAssertEqual(fused.loss, graph.loss, accuracy: 1e-12 * abs(graph.loss))
                var largest = 0.0
                for (a, b) in zip(fused.gradients, graph.gradients) {
                    XCTAssertEqual(a.shape, b.shape)
                    for (x, y) in zip(a.value.storage, b.value.storage) {
                        XCTAssertEqual(x, y, accuracy: 1e-11 * max(1, abs(y)), "layers \(layers), second order \(secondOrder)")
                        largest = max(largest, abs(y))
                    }
                }
                XCTAssertGreaterThan(largest, 1e-2)
            }
        }
    }

    /// A padded dataset keeps each q with its p, pads with zeros, and its rebuilt true system
    /// gives the padded derivatives: the pendulum in two degrees of freedom.
    func testPaddingKeepsPairsAndTheTrueField() throws {
        var recipe = InitialConditions.recipe(for: "pendulum")
        recipe.trajectories = 2; recipe.samples = 5; recipe.duration = 1; recipe.noise = 0
        let data = try Dataset.generate(.init(system: try Catalog.system("pendulum"), catalogName: "pendulum", recipe: recipe, seed: 1))
        let padded = try data.padded(toDegreesOfFreedom: 2)
        XCTAssertEqual(padded.names, ["q", "qpad1", "p", "ppad1"])
        let field = try padded.compiledField()
        for r in 0..<padded.count {
            let x = Array(padded.states[(r * 4)..<(r * 4 + 4)]), dx = Array(padded.derivatives[(r * 4)..<(r * 4 + 4)])
            XCTAssertEqual(x, [data.states[2 * r], 0, data.states[2 * r + 1], 0])
            XCTAssertEqual(dx, [data.derivatives[2 * r], 0, data.derivatives[2 * r + 1], 0])
            var out = [Double](repeating: .nan, count: 4)
            x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { field.evaluate(xp.baseAddress!, into: $0.baseAddress!) } }
            for c in 0..<4 { XCTAssertEqual(out[c], dx[c], accuracy: 1e-12) }
        }
        XCTAssertThrowsError(try padded.padded(toDegreesOfFreedom: 1))
        XCTAssertEqual(try padded.padded(toDegreesOfFreedom: 3).names, ["q", "qpad1", "qpad2", "p", "ppad1", "ppad2"])
    }

    /// Tasks hold 2K distinct samples of one training trajectory of one system, embedded.
    func testTasksAreDistinctPointsOfOneTrajectory() throws {
        var recipe = InitialConditions.recipe(for: "pendulum")
        recipe.trajectories = 4; recipe.samples = 30; recipe.duration = 3; recipe.noise = 0
        let data = try Dataset.generate(.init(system: try Catalog.system("pendulum"), catalogName: "pendulum", recipe: recipe, seed: 1))
        let sampler = try MetaTaskSampler([data.padded(toDegreesOfFreedom: 2)], K: 10)
        var rng = SeededGenerator(seed: 2)
        let task = sampler.task(&rng)
        XCTAssertEqual(task.supportX.shape, [10, 4])
        let rows = (0..<10).map { Array(task.supportX.storage[($0 * 4)..<($0 * 4 + 4)]) } + (0..<10).map { Array(task.queryX.storage[($0 * 4)..<($0 * 4 + 4)]) }
        XCTAssertEqual(Set(rows.map { "\($0)" }).count, 20, "support and query points are 20 distinct samples")
        for r in rows { XCTAssertEqual(r[1], 0); XCTAssertEqual(r[3], 0) }
        // Every point lies on one trajectory: the pendulum's energy is the same at all of them.
        let (m, l, g) = (data.parameters["m"]!, data.parameters["l"]!, data.parameters["g"]!)
        let energies = rows.map { $0[2] * $0[2] / (2 * l * l * m) + g * l * m * (1 - cos($0[0])) }
        for e in energies { XCTAssertEqual(e, energies[0], accuracy: 1e-6) }
        XCTAssertThrowsError(try MetaTaskSampler([data], K: 16)) { XCTAssertTrue("\($0)".contains("at most 30 samples"), "\($0)") }
        var dp = InitialConditions.recipe(for: "doublependulum")
        dp.trajectories = 2; dp.samples = 30; dp.duration = 3
        let two = try Dataset.generate(.init(system: try Catalog.system("doublependulum"), catalogName: "doublependulum", recipe: dp, seed: 1))
        XCTAssertThrowsError(try MetaTaskSampler([data, two], K: 10)) { XCTAssertTrue("\($0)".contains("dataset(..., dof: 2)"), "\($0)") }
    }

    /// An inner rate far too large diverges with a message that names the step and the option
    /// (with tanh the loss stays finite: the size of the step is what betrays it); NaN data too;
    /// and the parameters are left as they were.
    func testDivergingInnerStepIsAnError() {
        let m = smallHNN(seed: 8), task = randomTask(rows: 5, seed: 9)
        let before = m.variables.map(\.value)
        XCTAssertThrowsError(try MetaLearning.step(m, tasks: [task], settings: .init(innerSteps: 3, innerLearningRate: 1e6), optimizer: Adam())) {
            XCTAssertTrue("\($0)".contains("the inner step diverged: SGD step 1 of 3 would move") && "\($0)".contains("innerlr"), "\($0)")
        }
        var bad = task
        bad.supportDX.storage[3] = .nan
        XCTAssertThrowsError(try MetaLearning.step(m, tasks: [bad], settings: .init(), optimizer: Adam())) {
            XCTAssertTrue("\($0)".contains("not finite"), "\($0)")
        }
        XCTAssertEqual(m.variables.map(\.value), before)
        XCTAssertNoThrow(try MetaLearning.metaGradient(m, tasks: [task], settings: .init(innerSteps: 3, innerLearningRate: 0.01)))
    }

    /// One adaptation step is θ − α∇L(θ) with the gradient of the task loss, in place, and a
    /// small one lowers the loss.
    func testAdaptationStepIsOneSGDStep() throws {
        let m = smallHNN(seed: 12), task = randomTask(rows: 6, seed: 13)
        let θ = m.variables
        let before = θ.map(\.value)
        let loss = Recording.with(true) { MetaLearning.taskLoss(m, x: task.supportX, dx: task.supportDX, at: θ) }
        let g = gradient(of: loss, wrt: θ).map(\.value)
        try MetaLearning.adaptationStep(m, x: task.supportX, dx: task.supportDX, learningRate: 1e-3)
        for (k, p) in θ.enumerated() {
            for i in 0..<p.value.count { XCTAssertEqual(p.value.storage[i], before[k].storage[i] - 1e-3 * g[k].storage[i], accuracy: 1e-15) }
        }
        let after = Recording.with(false) { MetaLearning.taskLoss(m, x: task.supportX, dx: task.supportDX, at: θ) }.value.scalar
        XCTAssertLessThan(after, loss.value.scalar)
    }

    /// A curve whose adaptation diverges leaves those repeats out (NaN where none is left) and
    /// counts them, instead of failing; the same episodes serve every model (two copies of one
    /// model give one curve); an adaptation that diverges names its step and option.
    func testCurveCountsDivergedAdaptations() throws {
        var recipe = InitialConditions.recipe(for: "pendulum")
        recipe.trajectories = 5; recipe.samples = 20; recipe.duration = 2; recipe.noise = 0
        let data = try Dataset.generate(.init(system: try Catalog.system("pendulum"), catalogName: "pendulum", recipe: recipe, seed: 1)).padded(toDegreesOfFreedom: 2)
        let m = smallHNN(seed: 14)
        let calm = try MetaLearning.curve([m, m.copy()], on: data, K: 5, marks: [0, 1, 2], repeats: 3, learningRate: 1e-3, seed: 2)
        XCTAssertEqual(calm[0].mean, calm[1].mean)
        XCTAssertEqual(calm[0].diverged, [0, 0, 0])
        let wild = try MetaLearning.curve([m], on: data, K: 5, marks: [0, 1, 2], repeats: 3, learningRate: 1e9, seed: 2)
        XCTAssertEqual(wild[0].diverged, [0, 3, 3])
        XCTAssertEqual(wild[0].mean[0], calm[0].mean[0])
        XCTAssertTrue(wild[0].mean[1].isNaN)
        var rng = SeededGenerator(seed: 2)
        let e = try MetaLearning.episode(data, K: 5, &rng)
        XCTAssertThrowsError(try MetaLearning.adaptationStep(m.copy(), x: e.supportX, dx: e.supportDX, learningRate: 1e9, step: 4, of: 15)) {
            XCTAssertTrue("\($0)".contains("the adaptation diverged: SGD step 4 of 15") && "\($0)".contains("lower lr:"), "\($0)")
        }
    }

    /// Meta-training that diverges stops as train does: the parameters of the last good step,
    /// the history so far, and why.
    func testDivergingMetaTrainingKeepsTheLastGoodParameters() throws {
        var recipe = InitialConditions.recipe(for: "pendulum")
        recipe.trajectories = 3; recipe.samples = 20; recipe.duration = 2; recipe.noise = 0
        let data = try Dataset.generate(.init(system: try Catalog.system("pendulum"), catalogName: "pendulum", recipe: recipe, seed: 1)).padded(toDegreesOfFreedom: 2)
        let sampler = try MetaTaskSampler([data], K: 5)
        let m = smallHNN(seed: 15)
        let before = m.variables.map(\.value)
        let run = MetaLearning.train(m, sampler: sampler, steps: 3, tasksPerStep: 2, settings: .init(innerLearningRate: 1e9), optimizer: Adam(),
                                     seed: 1, reportEvery: 1) { _, _ in }
        XCTAssertTrue(run.history.isEmpty)
        XCTAssertTrue(run.stoppedEarly?.hasPrefix("stopped at outer step 1 of 3 with the parameters of step 0: the inner step diverged") ?? false, "\(run.stoppedEarly ?? "nil")")
        XCTAssertEqual(m.variables.map(\.value), before)
        let calm = MetaLearning.train(m, sampler: sampler, steps: 3, tasksPerStep: 2, settings: .init(innerLearningRate: 1e-3), optimizer: Adam(),
                                      seed: 1, reportEvery: 1) { _, _ in }
        XCTAssertNil(calm.stoppedEarly)
        XCTAssertEqual(calm.history.map(\.step), [1, 2, 3])
        XCTAssertNotEqual(m.variables.map(\.value), before)
    }
}
