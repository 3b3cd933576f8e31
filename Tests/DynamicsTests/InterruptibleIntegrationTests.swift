import XCTest
import Symbolic
@testable import Dynamics

/// Long integrations and dataset generation stop when `Interrupt` asks (Ctrl-C, --timeout), and
/// a trajectory's memory is known before it runs.
final class InterruptibleIntegrationTests: XCTestCase {
    override func tearDown() { Interrupt.endStatement() }

    func oscillator() throws -> HamiltonianVectorField {
        try HamiltonianVectorField(system: try Catalog.system("harmonic"))
    }

    func testEveryIntegratorStopsWithinAFewHundredSteps() throws {
        let field = try oscillator()
        for method in FixedStepMethod.allCases {
            Interrupt.beginStatement()
            Interrupt.request(.timeout)
            XCTAssertThrowsError(try FixedStepIntegrator(method, step: 0.01).run(field, from: [1, 0], steps: 1_000_000), "\(method)") {
                XCTAssertTrue($0 is Interrupted, "\(method): \($0)")
            }
            // Short runs (fewer steps than between two checks) and runs after the statement are untouched.
            Interrupt.beginStatement()
            XCTAssertEqual(try FixedStepIntegrator(method, step: 0.01).run(field, from: [1, 0], steps: 1000).count, 1001)
        }
        for method in AdaptiveMethod.allCases {
            Interrupt.beginStatement()
            Interrupt.request(.userInterrupt)
            XCTAssertThrowsError(try AdaptiveIntegrator(method).run(field, from: [1, 0], times: [0, 1e6]), "\(method)") {
                XCTAssertTrue($0 is Interrupted, "\(method): \($0)")
            }
            Interrupt.beginStatement()
            let t = try AdaptiveIntegrator(method).run(field, from: [1, 0], times: [0, 1])
            XCTAssertEqual(t.count, 2)
        }
    }

    func testDatasetGenerationStops() throws {
        let system = try Catalog.system("harmonic")
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 3
        Interrupt.beginStatement()
        Interrupt.request(.userInterrupt)
        XCTAssertThrowsError(try Dataset.generate(.init(system: system, catalogName: "harmonic", recipe: recipe, seed: 0, radius: 1))) {
            XCTAssertTrue($0 is Interrupted)
        }
    }

    func testTrajectoryMemoryEstimate() {
        // chain(n: 64): 128 state values and a time per sample, 8 bytes each.
        XCTAssertEqual(Trajectory.estimatedBytes(samples: 1e7, dimension: 128), 1e7 * 129 * 8)
        XCTAssertGreaterThan(Trajectory.estimatedBytes(samples: 1e7 + 2, dimension: 128), Trajectory.memoryLimit)
        XCTAssertEqual(Trajectory.fixedStepSamples(steps: 1000, sampleEvery: 1), 1002)
        XCTAssertEqual(Trajectory.fixedStepSamples(steps: 1000, sampleEvery: 100), 12)
        // The estimate matches what a run stores, up to the final sample counted twice.
        let t = try? FixedStepIntegrator(.leapfrog, step: 0.01).run(oscillator(), from: [1, 0], steps: 1000, sampleEvery: 100)
        XCTAssertEqual(t.map { Double($0.count) }, Trajectory.fixedStepSamples(steps: 1000, sampleEvery: 100) - 1)
    }
}
