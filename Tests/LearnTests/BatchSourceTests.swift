import Dynamics
import Foundation
import XCTest
@testable import Learn

/// The batch sources over a dataset: the right rows, never a pair across two trajectories,
/// the same batch for the same items.
final class BatchSourceTests: XCTestCase {
    func data() throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 6
        recipe.samples = 7
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 3))
    }

    func row(_ data: Dataset, _ r: Int) -> [Double] { Array(data.states[(2 * r)..<(2 * r + 2)]) }

    func testDerivativePairsAreTheTrainingRows() throws {
        let d = try data()
        let source = DerivativePairs(d)
        let train = (0..<d.count).filter { !d.isTest($0) }
        XCTAssertEqual(source.count, train.count)
        let batch = source.batch([2, 0, 2])
        XCTAssertEqual(batch["x"]!.shape, [3, 2])
        XCTAssertEqual(Array(batch["x"]!.storage[0..<2]), row(d, train[2]))
        XCTAssertEqual(Array(batch["dx"]!.storage[2..<4]), Array(d.derivatives[(2 * train[0])..<(2 * train[0] + 2)]))
        XCTAssertEqual(source.testBatch!.rows, d.count - train.count)
        XCTAssertEqual(source.batch([1, 4])["x"], source.batch([1, 4])["x"])
    }

    func testConsecutivePairsStayInsideTrajectories() throws {
        let d = try data()
        let source = ConsecutivePairs(d)
        let trainTrajectories = d.isTestTrajectory.filter { !$0 }.count
        XCTAssertEqual(source.count, trainTrajectories * (7 - 1), "samples − 1 pairs per trajectory, none across two")
        let all = source.trainingBatch
        let x = all["x"]!, next = all["next"]!, dt = all["dt"]!
        XCTAssertEqual(dt.shape, [source.count, 1])
        for i in 0..<source.count {
            let r = source.trainStarts[i]
            XCTAssertEqual(d.trajectoryIDs[r], d.trajectoryIDs[r + 1])
            XCTAssertFalse(d.isTest(r))
            XCTAssertEqual(Array(x.storage[(2 * i)..<(2 * i + 2)]), row(d, r))
            XCTAssertEqual(Array(next.storage[(2 * i)..<(2 * i + 2)]), row(d, r + 1))
            XCTAssertEqual(dt.storage[i], d.times[r + 1] - d.times[r])
            XCTAssertGreaterThan(dt.storage[i], 0)
        }
        let testPairs = d.isTestTrajectory.filter { $0 }.count * 6
        XCTAssertEqual(source.testBatch?.rows ?? 0, testPairs)
        XCTAssertNoThrow(try source.validate())
    }

    func testTrajectoriesAreWholeAndInOrder() throws {
        let d = try data()
        let source = Trajectories(d)
        XCTAssertEqual(source.count, d.isTestTrajectory.filter { !$0 }.count)
        XCTAssertEqual(source.samples, 7)
        let batch = source.batch([1])
        XCTAssertEqual(batch["x"]!.shape, [1, 7, 2])
        XCTAssertEqual(batch["t"]!.shape, [1, 7])
        let rows = (0..<d.count).filter { d.trajectoryIDs[$0] == d.trajectoryIDs[source.trainTrajectories[1][0]] }
        XCTAssertEqual(batch["x"]!.storage, rows.flatMap { row(d, $0) })
        XCTAssertEqual(batch["t"]!.storage, rows.map { d.times[$0] })
        XCTAssertNoThrow(try source.validate())
    }

    func testSamplesAreStatesOnly() throws {
        let d = try data()
        let source = Samples(d)
        let batch = source.batch([0, 3])
        XCTAssertEqual(Array(batch.tensors.keys), ["x"])
        let train = (0..<d.count).filter { !d.isTest($0) }
        XCTAssertEqual(batch["x"]!.storage, row(d, train[0]) + row(d, train[3]))
    }

    /// A model that needs another batch than the source gives says so, and training refuses it
    /// before any step.
    func testAModelSaysWhatItsBatchLacks() throws {
        let d = try data()
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, seed: 1)
        XCTAssertThrowsError(try train(model, on: Samples(d), options: TrainingOptions(steps: 2))) {
            XCTAssertTrue("\($0)".contains("needs 'dx' in its batch"), "\($0)")
        }
        XCTAssertThrowsError(try train(model, on: d, objective: Objective([("energy", 1)]), options: TrainingOptions(steps: 2))) {
            XCTAssertEqual("\($0)", "the hnn model has no loss term 'energy' (its terms: mse)")
        }
    }
}
