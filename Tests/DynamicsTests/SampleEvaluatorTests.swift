import XCTest
import Symbolic
@testable import Dynamics

/// Expressions over rows of samples, drift, and the dataset row cap.
final class SampleEvaluatorTests: XCTestCase {
    func testValuesAtEveryRowAndUnknownSymbols() throws {
        let exprs = [try Expr.parse("q*p"), try Expr.parse("q^2 + k")]
        let evaluator = try SampleEvaluator(exprs, variables: ["q", "p"], parameters: ["k": 2])
        XCTAssertEqual(evaluator.values(rows: [1, 2, 3, 4, 5, 6], count: 2), [[2, 12], [3, 11]])
        let trajectory = Trajectory(dimension: 2, times: [0, 1, 2], states: [1, 2, 3, 4, -1, 0.5])
        XCTAssertEqual(evaluator.values(along: trajectory), [[2, 12, -0.5], [3, 11, 3]])
        XCTAssertEqual(SampleEvaluator.unknownSymbol(in: [try Expr.parse("q + z + a"), try Expr.parse("w")], variables: ["q", "p"], parameters: ["k": 1]), "a")
        XCTAssertNil(SampleEvaluator.unknownSymbol(in: exprs, variables: ["q", "p"], parameters: ["k": 1]))
        XCTAssertThrowsError(try SampleEvaluator([try Expr.parse("q + z")], variables: ["q"])) { XCTAssertTrue($0 is CompilationError, "\($0)") }
    }

    /// d_k = |f_k − f_0| / |f_0|, or absolute when f_0 = 0; rms over all samples, d_0 included.
    func testDrift() {
        let relative = Drift([2, 3, 1, 2])
        XCTAssertTrue(relative.isRelative)
        XCTAssertEqual(relative.deviations, [0, 0.5, 0.5, 0])
        XCTAssertEqual(relative.maximum, 0.5)
        XCTAssertEqual(relative.rms, (0.5 / 4).squareRoot())
        let absolute = Drift([0, -3, 4])
        XCTAssertFalse(absolute.isRelative)
        XCTAssertEqual(absolute.deviations, [0, 3, 4])
        XCTAssertEqual(Drift([]).maximum, 0)
        XCTAssertEqual(Drift([]).rms, 0)
    }

    /// More rows than `Dataset.maximumRows` is refused before anything is integrated.
    func testDatasetRowCap() throws {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 3
        recipe.samples = Dataset.maximumRows / 2
        let spec = Dataset.Specification(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 0)
        XCTAssertThrowsError(try Dataset.generate(spec)) { error in
            XCTAssertTrue("\(error)".contains("at most \(Dataset.maximumRows) rows"), "\(error)")
        }
    }
}
