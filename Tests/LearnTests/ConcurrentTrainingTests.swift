import Dispatch
import Dynamics
import Foundation
import XCTest
@testable import Learn

/// The recording switch is task-local: trainings on two threads at once, and a training nested
/// in a block that switched recording off, give the bits of a training run alone.
final class ConcurrentTrainingTests: XCTestCase {
    func data() throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 4
        recipe.samples = 10
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 1))
    }

    static func run(_ kind: String, _ data: Dataset) throws -> [Tensor] {
        let model = makeModel(kind, dimension: 2, hidden: 8, layers: 2, seed: 2)
        _ = try train(model, on: data, options: TrainingOptions(steps: 40, batchSize: 8, learningRate: 1e-2, seed: 3))
        return model.variables.map(\.value)
    }

    func testConcurrentAndNestedTrainingsGiveTheSameBits() throws {
        let d = try data()
        let run = Self.run
        let alone = try modelKinds.map { try run($0, d) }
        let together = Results(count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            // Two runs of each kind at once, one of them inside blocks that switch recording.
            let kind = i < 2 ? "baseline" : "hnn"
            let result = i % 2 == 0 ? try? run(kind, d) : Recording.with(false) { Recording.with(true) { try? run(kind, d) } }
            together.set(i, result ?? [])
        }
        for i in 0..<4 { XCTAssertEqual(together.get(i), alone[i / 2], "run \(i)") }
        // Nested in a block that records nothing, training still records its own steps.
        XCTAssertEqual(try Recording.with(false) { try run("hnn", d) }, alone[1])
        XCTAssertTrue(Recording.isOn)
    }

    func testConcurrentTasks() async throws {
        let d = try data()
        let alone = try Self.run("hnn", d)
        async let a = Task { try Self.run("hnn", d) }.value
        async let b = Task { try Recording.with(false) { try Self.run("hnn", d) } }.value
        let (x, y) = try await (a, b)
        XCTAssertEqual(x, alone)
        XCTAssertEqual(y, alone)
    }
}

/// Results written from several threads.
private final class Results: @unchecked Sendable {
    private var values: [[Tensor]]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ i: Int, _ value: [Tensor]) { lock.lock(); values[i] = value; lock.unlock() }
    func get(_ i: Int) -> [Tensor] { lock.lock(); defer { lock.unlock() }; return values[i] }
}
