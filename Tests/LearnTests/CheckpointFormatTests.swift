import Dynamics
import Foundation
import XCTest
@testable import Learn

/// Format 3 and format 2: files written by the build before format 3 (Resources/, see its
/// README) load to the same parameters and resume the same run, bit for bit; damaged format-3
/// files say what is wrong.
final class CheckpointFormatTests: XCTestCase {
    func resource(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Resources/\(name)", withExtension: nil), "missing resource \(name)").path
    }

    /// The dataset the format-2 files were trained on.
    func data() throws -> Dataset { try DatasetFile.read(try resource("harmonic-4x10.csv")) }

    /// Resumes a format-2 checkpoint as `resume(model, data, steps:, batch:, seed:, plateau:,
    /// patience: 2)` did in the REPL, and compares it with the file that run wrote.
    func checkResume(_ name: String, steps: Int, batch: Int, seed: UInt64, plateau: Double?) throws {
        let saved = try Checkpoint.read(try resource("\(name)-format2.ckpt"))
        let expected = try Checkpoint.read(try resource("\(name)-format2-resumed.ckpt"))
        let optimizer = try XCTUnwrap(saved.optimizer)
        let lr = optimizer.learningRate
        XCTAssertEqual(saved.schedule?.rate, lr, "a format-2 file's schedule starts at its optimizer's rate")
        let schedule: LearningRateSchedule = plateau.map { .reduceOnPlateau(factor: $0, patience: 2, threshold: 1e-4, minimum: lr * 1e-4) } ?? .constant
        let options = TrainingOptions(steps: steps, batchSize: batch, learningRate: lr, seed: seed, reportEvery: max(1, steps / 10), schedule: schedule)
        let report = try train(saved.model, on: DerivativePairs(try data()), options: options, optimizer: optimizer, schedule: saved.schedule)
        XCTAssertNil(report.stoppedEarly)
        XCTAssertEqual(saved.model.variables.map(\.value), expected.model.variables.map(\.value), "\(name): resumed to the last bit")
        XCTAssertEqual(optimizer.steps, expected.optimizer?.steps)
        XCTAssertEqual(optimizer.learningRate, expected.optimizer?.learningRate)
        let (m, v) = optimizer.moments(for: saved.model.variables), (em, ev) = expected.optimizer!.moments(for: expected.model.variables)
        XCTAssertEqual(m, em)
        XCTAssertEqual(v, ev)
        XCTAssertEqual(report.schedule, expected.schedule)
    }

    func testFormat2FilesLoadAndResumeTheSameRun() throws {
        let hnn = try Checkpoint.read(try resource("hnn-format2.ckpt"))
        XCTAssertEqual(hnn.model.kind, "hnn")
        XCTAssertEqual(hnn.model.spec.description, "dimension=2 hidden=6 layers=2 activation=tanh")
        XCTAssertEqual(hnn.model.parameters.map(\.name), ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias", "layer3.weight", "layer3.bias"])
        XCTAssertEqual(hnn.provenance, .init(system: "harmonic", names: ["q", "p"], parameters: ["k": 2, "m": 0.5]))
        XCTAssertEqual(hnn.optimizer?.steps, 12)
        XCTAssertEqual(hnn.schedule?.waited, 1)
        XCTAssertEqual(hnn.schedule?.best, 0.28667462686063938)
        let baseline = try Checkpoint.read(try resource("baseline-format2.ckpt"))
        XCTAssertEqual(baseline.model.kind, "baseline")
        XCTAssertEqual(baseline.schedule, .init(rate: 0.01, best: .infinity, waited: 0))
        try checkResume("hnn", steps: 12, batch: 8, seed: 1, plateau: 0.5)
        try checkResume("baseline", steps: 5, batch: 0, seed: 3, plateau: nil)
    }

    /// A format-2 file read and written again is format 3, and holds the same model, optimizer
    /// and schedule.
    func testFormat2RoundTripsThroughFormat3() throws {
        let old = try Checkpoint.read(try resource("hnn-format2.ckpt"))
        let folder = try TemporaryFolder.create("noether-format3")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("hnn.ckpt").path
        try Checkpoint.save(old.model, optimizer: old.optimizer, schedule: old.schedule, provenance: old.provenance, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertTrue(bytes.starts(with: Data("NOETHER-CHECKPOINT 3\nkind=hnn dimension=2 hidden=6 layers=2 activation=tanh\n".utf8)))
        let new = try Checkpoint.read(path)
        XCTAssertEqual(new.model.variables.map(\.value), old.model.variables.map(\.value))
        XCTAssertEqual(new.schedule, old.schedule)
        XCTAssertEqual(new.optimizer?.steps, old.optimizer?.steps)
        XCTAssertEqual(new.optimizer!.moments(for: new.model.variables).m, old.optimizer!.moments(for: old.model.variables).m)
        XCTAssertEqual(new.provenance, old.provenance)
    }

    /// A system whose name has spaces (`chain(n: 8)`, `oscillators(n: 3, seed: 0)`): its header
    /// field is escaped, so the file reads back (it once stopped at "header line 3 is damaged").
    /// An nct's checkpoint round-trips every tensor.
    func testSystemNamesWithSpacesRoundTrip() throws {
        let folder = try TemporaryFolder.create("noether-spaces")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nct.ckpt").path
        let model = NeuralCanonicalTransformation(dimension: 6, layers: 2, hidden: 4, beta: 2, seed: 3)
        for name in ["chain(n: 3)", "oscillators(n: 3, seed: 0)", "a%20b c"] {
            let provenance = Checkpoint.Provenance(system: name, names: ["q1", "q2", "q3", "p1", "p2", "p3"], parameters: [:])
            try Checkpoint.save(model, provenance: provenance, to: path)
            let back = try Checkpoint.read(path)
            XCTAssertEqual(back.provenance.system, name)
            XCTAssertEqual(back.model.variables.map(\.value), model.variables.map(\.value))
            XCTAssertEqual(back.model.spec, model.spec)
        }
    }

    /// Damaged format-3 files: truncated, a flipped byte, a tensor of the wrong shape, a kind
    /// nobody knows (with a did-you-mean), a tensor list that does not match the spec.
    func testDamagedFormat3FilesSayWhatIsWrong() throws {
        let folder = try TemporaryFolder.create("noether-format3")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("hnn.ckpt").path
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 3, layers: 1, seed: 1)
        let optimizer = Adam()
        try Checkpoint.save(model, optimizer: optimizer, schedule: .init(rate: 1e-3), provenance: .init(system: "harmonic", names: ["q", "p"], parameters: [:]), to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        func rejects(_ bytes: Data, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try Checkpoint.decode(bytes, path: "x.ckpt"), line: line) { XCTAssertTrue("\($0)".contains(fragment), "\($0)", line: line) }
        }
        func edited(_ from: String, _ to: String) -> Data {
            var text = good
            text.replaceSubrange(text.firstRange(of: Data(from.utf8))!, with: Data(to.utf8))
            return text
        }
        XCTAssertEqual(try Checkpoint.decode(good, path: "x.ckpt").model.variables.map(\.value), model.variables.map(\.value))
        rejects(good.prefix(good.count - 9), "truncated or damaged")
        rejects(good + Data([0]), "truncated or damaged")
        var flipped = good
        flipped[flipped.count - 30] ^= 1
        rejects(flipped, "fails its checksum")
        rejects(edited("layer1.weight 2x3", "layer1.weight 3x2"), "tensor 1 is 'layer1.weight 3x2', but its hnn spec describes layer1.weight 2x3")
        rejects(edited("layer2.bias 1", "layer2.bias 0"), "tensor line 4 is damaged")
        rejects(edited("kind=hnn", "kind=hnm"), "names a model kind this version cannot build ('kind=hnm'; kinds: hnn, baseline, shnn, scnn, scnnp, flow, nct, sympnet, lnn); did you mean 'hnn'?")
        rejects(edited("hidden=3", "hidden=0"), "describes a model this version cannot build")
        rejects(edited("tensors=4", "tensors=3"), "lists 3 tensors; its hnn spec describes 4")
        rejects(edited("schedule=state", "schedule=stat"), "damaged schedule line")
        rejects(edited("tensors=4", "tensors=9999999"), "header line 6 is damaged")
    }
}
