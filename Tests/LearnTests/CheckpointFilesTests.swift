import Dynamics
import Foundation
import XCTest
@testable import Learn

/// Hostile checkpoints: header numbers out of range with a recomputed checksum, empty and cut
/// files, FIFOs, links and modes.
final class CheckpointFilesTests: XCTestCase {
    var folder: URL!
    override func setUpWithError() throws { folder = try TemporaryFolder.create("noether-ckpt-test") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func springData() throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 4
        recipe.samples = 10
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 0))
    }

    /// A checkpoint after 5 steps of Adam.
    func trainedCheckpoint() throws -> Data {
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, seed: 1)
        let optimizer = Adam(learningRate: 1e-3)
        _ = try train(model, on: try springData(), options: TrainingOptions(steps: 5), optimizer: optimizer)
        try Checkpoint.save(model, optimizer: optimizer, provenance: .init(system: "harmonic", names: ["q", "p"], parameters: ["k": 1]), to: path("good.ckpt"))
        return try Data(contentsOf: URL(fileURLWithPath: path("good.ckpt")))
    }

    /// `data` with `from` replaced by `to` in its header line that starts with `line` and the
    /// checksum recomputed, as a deliberate forger would.
    func forged(_ data: Data, _ from: String, _ to: String, line start: String = "optimizer=") throws -> Data {
        let body = data.prefix(data.count - 8)
        let headerEnd = body.firstRange(of: Data(start.utf8))!.upperBound
        let lineEnd = body[headerEnd...].firstIndex(of: 10)!
        let line = String(decoding: body[..<lineEnd], as: UTF8.self)
        XCTAssertTrue(line.contains(from), line)
        var out = Data(line.replacingOccurrences(of: from, with: to).utf8) + body[lineEnd...]
        withUnsafeBytes(of: FNV1a.of(out).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    func testOutOfRangeOptimizerNumbersAreRefusedOnRead() throws {
        let good = try trainedCheckpoint()
        XCTAssertEqual(try Checkpoint.read(path("good.ckpt")).optimizer?.steps, 5)
        let cases: [(String, String, String)] = [
            ("steps=5 ", "steps=9223372036854775800 ", "steps=9223372036854775800 is out of range (0 to 1e15)"),
            ("steps=5 ", "steps=\(Int.max) ", "steps=\(Int.max) is out of range"),
            ("steps=5 ", "steps=-3 ", "steps=-3 is out of range"),
            ("steps=5 ", "steps=1000000000000001 ", "out of range (0 to 1e15)"),
            ("rate=0.001 ", "rate=0 ", "rate=0 is out of range"),
            ("rate=0.001 ", "rate=nan ", "rate=nan is out of range"),
            ("rate=0.001 ", "rate=inf ", "rate=inf is out of range"),
            ("beta1=0.90000000000000002 ", "beta1=1 ", "beta1=1 is out of range"),
            ("beta2=0.999 ", "beta2=-0.5 ", "beta2=-0.5 is out of range"),
            ("epsilon=1e-08", "epsilon=-1", "epsilon=-1 is out of range"),
            ("best=inf ", "best=nan ", "header line 5: best=nan is out of range"),
            ("waited=0", "waited=99999999999999999", "header line 5: waited=99999999999999999 is out of range"),
            ("rate=0.001 best", "rate=0 best", "header line 5: rate=0 is out of range"),
        ]
        for (from, to, message) in cases {
            let line = from.hasPrefix("best") || from.hasPrefix("waited") || from.hasSuffix("best") ? "schedule=" : "optimizer="
            try forged(good, from, to, line: line).write(to: URL(fileURLWithPath: path("forged.ckpt")))
            XCTAssertThrowsError(try Checkpoint.read(path("forged.ckpt")), to) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        // The forgery itself is sound: an in-range change reads.
        try forged(good, "steps=5 ", "steps=999999999999999 ").write(to: URL(fileURLWithPath: path("forged.ckpt")))
        XCTAssertEqual(try Checkpoint.read(path("forged.ckpt")).optimizer?.steps, 999_999_999_999_999)
    }

    /// Resuming adds the run's steps to the optimizer's count: with the largest count a file
    /// may hold it runs, and a count that would overflow is an error, never a trap.
    func testResumeArithmeticDoesNotTrap() throws {
        let data = try springData()
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, seed: 1)
        let optimizer = Adam()
        optimizer.steps = Checkpoint.maximumSteps
        let report = try train(model, on: data, options: TrainingOptions(steps: 3), optimizer: optimizer)
        XCTAssertEqual(report.stepsTaken, Checkpoint.maximumSteps + 3)
        for steps in [Int.max - 1, Int.max] {
            optimizer.steps = steps
            XCTAssertThrowsError(try train(model, on: data, options: TrainingOptions(steps: 10), optimizer: optimizer)) {
                XCTAssertTrue("\($0)".contains("the step count must stay between 0 and"), "\($0)")
            }
        }
        optimizer.steps = -3
        XCTAssertThrowsError(try train(model, on: data, options: TrainingOptions(steps: 10), optimizer: optimizer))
    }

    func testEmptyCutAndForeignFilesSayWhatTheyAre() throws {
        let good = try trainedCheckpoint()
        func rejects(_ bytes: Data, _ fragment: String, line: UInt = #line) throws {
            try bytes.write(to: URL(fileURLWithPath: path("bad.ckpt")))
            XCTAssertThrowsError(try Checkpoint.read(path("bad.ckpt")), line: line) { XCTAssertTrue("\($0)".contains(fragment), "\($0)", line: line) }
        }
        try rejects(Data(), "is empty (0 bytes): not a checkpoint")
        try rejects(good.prefix(7), "ends inside its first line: truncated")
        try rejects(good.prefix(40), "ends inside its header")
        try rejects(Data("NOETHER-CHECKPOINT 9\n\u{1B}]0;pwned\u{07}\n".utf8), "is 'NOETHER-CHECKPOINT 9'")
        try rejects(Data("# noether dataset 1\n".utf8), "is not a Noether checkpoint")
        XCTAssertTrue(Checkpoint.looksLikeCheckpoint(good.prefix(5)))
        XCTAssertFalse(Checkpoint.looksLikeCheckpoint(Data()))
        XCTAssertFalse(Checkpoint.looksLikeCheckpoint(Data("# noether dataset 1\n".utf8)))
        // Control bytes in a damaged header are escaped in the message.
        var damaged = good
        damaged.replaceSubrange(damaged.firstRange(of: Data("kind=hnn".utf8))!, with: Data("kind=\u{1B}[31mhnn".utf8))
        try rejects(damaged, "kind=\\x1B[31mhnn")
    }

    func testCheckpointFilesFollowLinksKeepModesAndRefuseFIFOs() throws {
        _ = try trainedCheckpoint()
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, seed: 2)
        let provenance = Checkpoint.Provenance(system: "harmonic", names: ["q", "p"], parameters: [:])
        XCTAssertEqual(chmod(path("good.ckpt"), 0o600), 0)
        XCTAssertEqual(symlink("good.ckpt", path("latest.ckpt")), 0)
        try Checkpoint.save(model, provenance: provenance, to: path("latest.ckpt"))
        var info = stat()
        XCTAssertEqual(lstat(path("latest.ckpt"), &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK, "the link stays a link")
        XCTAssertEqual(lstat(path("good.ckpt"), &info), 0)
        XCTAssertEqual(info.st_mode & 0o7777, 0o600, "the mode is kept")
        XCTAssertEqual(try Checkpoint.read(path("good.ckpt")).model.variables.map(\.value), model.variables.map(\.value))
        XCTAssertEqual(mkfifo(path("pipe"), 0o644), 0)
        XCTAssertThrowsError(try Checkpoint.save(model, provenance: provenance, to: path("pipe"))) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertThrowsError(try Checkpoint.read(path("pipe"))) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertEqual(lstat(path("pipe"), &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO)
        // Training with a checkpoint path that cannot be written is refused before step 1.
        let untouched = model.variables.map(\.value)
        XCTAssertThrowsError(try train(model, on: try springData(), options: TrainingOptions(steps: 5, checkpointPath: path("pipe")))) {
            XCTAssertTrue("\($0)".contains("FIFO"), "\($0)")
        }
        XCTAssertEqual(model.variables.map(\.value), untouched)
    }

    /// A rollout comparison against a true system of another dimension throws; it used to
    /// stop the process on a precondition.
    func testRolloutComparisonOfMismatchedDimensionsThrows() throws {
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, seed: 1)
        let kepler = try Catalog.system("kepler2d")
        let truth = try HamiltonianVectorField(hamiltonian: kepler.hamiltonian, pairs: kepler.pairs, parameters: ["k": 1])
        XCTAssertThrowsError(try RolloutComparison.run(model: model, truth: truth, initialStates: [[1, 0]], times: [0, 1])) {
            XCTAssertTrue("\($0)".contains("the true system has dimension 4, the model 2"), "\($0)")
        }
        let harmonic = try Catalog.system("harmonic")
        let right = try HamiltonianVectorField(hamiltonian: harmonic.hamiltonian, pairs: harmonic.pairs, parameters: ["k": 1, "m": 1])
        XCTAssertThrowsError(try RolloutComparison.run(model: model, truth: right, initialStates: [[1, 0, 0]], times: [0, 1]))
        XCTAssertThrowsError(try RolloutComparison.run(model: model, truth: right, initialStates: [], times: [0, 1]))
        XCTAssertEqual(try RolloutComparison.run(model: model, truth: right, initialStates: [[1, 0]], times: [0, 1]).trajectories, 1)
    }
}
