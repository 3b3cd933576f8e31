import Foundation
import XCTest
@testable import REPL

/// Neural canonical transformations through the REPL: trained from the session's H, resumed on
/// it, read back from a checkpoint of a system whose name has spaces, its free energy against
/// the loss, the mode energy E_k as (P_k² + ω_k² Q_k²)/2 of its own latent coordinates, and bad
/// input refused where it was written with the session intact.
final class NCTVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func numbers(_ line: String) -> [Double] {
        line.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    func testTrainResumeCheckpointAndLatentEnergies() throws {
        let repl = Interpreter()
        let path = NSTemporaryDirectory() + "noether-nct-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertFalse(repl.execute("load chain(n: 3)").contains(where: \.failed))
        let trained = lines("m = train(nct, H, layers: 2, hidden: 8, steps: 20, batch: 32, lr: 1e-2, seed: 0, checkpoint: \"\(path)\"); m", in: repl)
        XCTAssertTrue(trained.last!.hasPrefix("nct model of chain(n: 3): real NVP point transformation of 2 affine couplings"), trained.joined(separator: "\n"))
        let omega = numbers(lines("m.omega", in: repl)[0])
        XCTAssertEqual(omega.count, 3)
        XCTAssertEqual(omega, omega.sorted())
        // E1 is (P1² + ω1² Q1²)/2 of the model's own Q1, P1, with ω in latent order (m.omega is
        // sorted, so take the k whose value matches).
        let x = "[0.3, -0.2, 0.1, 0.5, 0.0, -0.4]"
        let (q, p, e) = (Double(lines("m.Q1(\(x))", in: repl)[0])!, Double(lines("m.P1(\(x))", in: repl)[0])!, Double(lines("m.E1(\(x))", in: repl)[0])!)
        XCTAssertTrue(omega.contains { abs((p * p + $0 * $0 * q * q) / 2 - e) < 1e-4 * max(1, e) }, "E1 \(e), Q1 \(q), P1 \(p), omega \(omega)")
        // The checkpoint of chain(n: 3) reads back (the system name has spaces) to the same map.
        let read = lines("r = read(\"\(path)\"); r.Q2(\(x))", in: repl)
        XCTAssertEqual(read.last, lines("m.Q2(\(x))", in: repl)[0], read.joined(separator: "\n"))
        // Resumed on H; evaluate's free energy has six digits and an error.
        let resumed = lines("m2 = resume(m, H, steps: 10); m2", in: repl)
        XCTAssertTrue(resumed.last!.contains("30 steps"), resumed.joined(separator: "\n"))
        let evaluated = lines("evaluate(m2, H)", in: repl)
        XCTAssertTrue(evaluated[0].hasPrefix("variational free energy F_var"), evaluated.joined(separator: "\n"))
        XCTAssertTrue(evaluated[1].hasPrefix("learned frequencies, sorted: "), evaluated.joined(separator: "\n"))
    }

    func testBadInputIsRefusedWhereWritten() {
        let repl = Interpreter()
        XCTAssertFalse(repl.execute("load chain(n: 3)").contains(where: \.failed))
        let cases: [(String, String)] = [
            ("train(nct, 3)", "H is a constant; a variational model needs a Hamiltonian of (q1, q2, q3, p1, p2, p3)"),
            ("train(nct, H + k*q1, steps: 2)", "H has a symbol 'k' that is neither a coordinate (q1, q2, q3, p1, p2, p3) nor a parameter with a value: substitute one, as in train(..., subs(H, k: 1), ...)"),
            ("train(nct, q1^2 + q2^2 + q3^2 + p1^2 + p2^2, steps: 2)", "the variational loss needs the data's H: H does not depend on p3, so exp(-beta H) cannot be normalised along it: the free energy is -infinity"),
            ("train(nct, H, beta: 0)", "'beta:' takes a number from 1e-06 to 1000000, not 0"),
            ("train(nct, dataset(harmonic, trajectories: 2, samples: 3), steps: 2)", "an nct transforms configurations of at least 2 coordinates (pairs (q, p)): the data's dimension must be even and at least 4, not 2"),
        ]
        for (input, suffix) in cases {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
        XCTAssertFalse(repl.execute("m = train(nct, H, layers: 1, hidden: 4, steps: 2, batch: 8)").contains(where: \.failed))
        for (input, suffix) in [("m.omega(1)", ".omega is not called: it is the list of learned frequencies"),
                                ("evaluate(m, H, t: 3)", "'t:' is not for a variational model; evaluate(nct, H) gives its free energy")] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
        // −H is unbounded below: training stops with the reason, and the session goes on.
        let unbounded = lines("w = train(nct, -H, layers: 2, hidden: 8, steps: 3000, lr: 0.1, batch: 64); w", in: repl).joined(separator: "\n")
        XCTAssertTrue(unbounded.contains("H is unbounded below along the model's samples"), unbounded)
        XCTAssertEqual(lines("1 + 1", in: repl), ["2"])
    }

    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data/digits.csv").standardized.path

    /// An nct fitted by likelihood to the shipped digits through the REPL: the default
    /// objective for samples, its checkpoint (64 names for a 128-dimensional phase space) read
    /// back to the same map, the held-out likelihood, classes, samples and pictures, and what
    /// samples cannot do refused where it was written.
    func testLikelihoodOnTheDigits() throws {
        let repl = Interpreter()
        let path = NSTemporaryDirectory() + "noether-nct-digits-\(getpid()).ckpt"
        let png = NSTemporaryDirectory() + "noether-nct-walk-\(getpid()).png"
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: png) }
        let shown = lines("d = read(\"\(Self.digits)\"); d", in: repl).joined(separator: "\n")
        XCTAssertTrue(shown.hasPrefix("samples: digits (read from"), shown)
        XCTAssertTrue(shown.contains("1797 configurations (1438 train / 359 test) of 64 coordinates (x1, x2, x3, ..., x64), labelled in 10 classes"), shown)
        XCTAssertTrue(shown.contains("licence CC BY 4.0"), shown)
        let trained = lines("m = train(nct, d, layers: 1, hidden: 4, steps: 6, batch: 16, dequantize: 1, seed: 0, checkpoint: \"\(path)\"); m", in: repl)
        XCTAssertTrue(trained.last!.contains("dimension 128, fitted by maximum likelihood (dequantized by 1.0), 6 steps"), trained.joined(separator: "\n"))
        XCTAssertEqual(lines("read(\"\(path)\").omega", in: repl), lines("m.omega", in: repl))
        let evaluated = lines("evaluate(m, d)", in: repl)
        XCTAssertTrue(evaluated[0].hasPrefix("train: negative log-likelihood "), evaluated.joined(separator: "\n"))
        XCTAssertTrue(evaluated[1].hasPrefix("test: negative log-likelihood ") && evaluated[1].hasSuffix("359 rows)"), evaluated.joined(separator: "\n"))
        let classified = lines("classify(m, d, modes: [1, 3])", in: repl)
        XCTAssertEqual(classified.count, 4, classified.joined(separator: "\n"))
        XCTAssertTrue(classified[1].hasPrefix("all 64 raw coordinates: "), classified.joined(separator: "\n"))
        XCTAssertTrue(classified[3].hasPrefix("3 slowest modes: "), classified.joined(separator: "\n"))
        XCTAssertEqual(lines("s = sample(m, n: 3, seed: 1); s", in: repl).last, "samples: digits (3 samples of the nct model, seed 1), 3 configurations (3 train / 0 test) of 64 coordinates (x1, x2, x3, ..., x64); no momenta, times or derivatives")
        XCTAssertEqual(lines("plot(m, d, \"\(png)\", walk: 2)", in: repl), ["wrote \(png)"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: png))
        for (input, suffix) in [
            ("train(nct, d, objective: variational)", "configuration samples carry no Hamiltonian to be variational about; they are fitted by likelihood (objective: likelihood)"),
            ("fit(m, d)", "fit needs trajectories with their derivatives; 'digits' is configuration samples (no momenta, times or derivatives), which an nct's train, resume, evaluate, latent, plot, correlate, classify and jacobian take"),
            ("resume(m, x1 + 1, steps: 1)", "this nct was fitted by likelihood to data; resume it on data, as resume(m, data, ...)"),
            ("plot(m, d, \"\(png)\", walk: 65)", "the model has modes 1 to 64 (numbered from the slowest); 65 is not one"),
            ("classify(m, s)", "the data has no class labels to classify"),
            ("plot(m, d, \"\(png)\", color: y1)", "'color:' names 'y1', which is not a coordinate of the data (x1, x2, x3, ..., x64)"),
            ("train(nct, dataset(chain(n: 2), trajectories: 2, samples: 3), dequantize: 1, objective: variational, steps: 1)", "dequantize: adds noise to samples fitted by likelihood; the variational objective has none"),
        ] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
        XCTAssertEqual(lines("1 + 1", in: repl), ["2"])
    }

    /// The ringworld's latent coordinates against its polar coordinates, and the chain's
    /// Jacobian beside its exact normal modes sqrt(2/(n+1)) sin(pi i k/(n+1)).
    func testCorrelateAndJacobian() throws {
        let repl = Interpreter()
        XCTAssertFalse(repl.execute("load chain(n: 3)").contains(where: \.failed))
        XCTAssertFalse(repl.execute("m = train(nct, H, layers: 2, hidden: 8, steps: 5, batch: 32, seed: 0); s = sample(m, n: 50, seed: 1)").contains(where: \.failed))
        let jacobian = lines("jacobian(m, s, modes: [1, 3], against: H)", in: repl)
        XCTAssertEqual(jacobian.count, 9, jacobian.joined(separator: "\n"))
        // Normal mode 1 of the 3-chain is (1/2, 1/sqrt(2), 1/2), mode 3 (1/2, -1/sqrt(2), 1/2) up to sign.
        XCTAssertTrue(jacobian[1].contains("normal mode 1 of H (omega 0.7654)"), jacobian[1])
        XCTAssertTrue(jacobian[2].hasSuffix("(normal mode 0.5)") && jacobian[3].hasSuffix("(normal mode 0.707)") && jacobian[4].hasSuffix("(normal mode 0.5)"), jacobian.joined(separator: "\n"))
        XCTAssertTrue(jacobian[5].contains("normal mode 3 of H (omega 1.848)"), jacobian[5])
        XCTAssertTrue(jacobian[7].hasSuffix("(normal mode -0.707)") || jacobian[7].hasSuffix("(normal mode 0.707)"), jacobian.joined(separator: "\n"))
        let png = NSTemporaryDirectory() + "noether-nct-spectrum-\(getpid()).png"
        defer { try? FileManager.default.removeItem(atPath: png) }
        let spectrum = lines("plot(m, \"\(png)\", against: H)", in: repl)
        XCTAssertEqual(spectrum.first, "wrote \(png)")
        XCTAssertTrue(spectrum.last!.hasPrefix("largest relative difference from H's normal-mode frequencies: "), spectrum.joined(separator: "\n"))
        XCTAssertTrue(lines("plot(m, s, \"\(png)\", against: H)", in: repl).first!.hasSuffix("'against:' goes with plot(nct, \"spectrum.png\", against: H)"))
        let correlated = lines("correlate(m, s, [q1, q1 + q2], angle: [q1, q2])", in: repl)
        XCTAssertEqual(correlated.count, 4, correlated.joined(separator: "\n"))
        XCTAssertTrue(correlated[1].hasPrefix("mode 1 (Q") && correlated[1].contains("polar angle of (q1, q2) ") && correlated[1].contains("degrees)"), correlated.joined(separator: "\n"))
        for (input, suffix) in [
            ("jacobian(m, s, against: H + p1*p2)", "the normal modes here assume unit masses (d2H/dp_i dp_j = delta_ij at the origin), which this H does not have"),
            ("jacobian(m, s, against: (p1^2 + p2^2 + p3^2)/2 - q1^2)", "H's Hessian at the origin is not positive definite (smallest eigenvalue -2.0): no normal modes"),
            ("correlate(m, s, [q1], angle: [q1, 2])", "'angle:' names two coordinates of the data, as in angle: [q1, q2]"),
            ("correlate(m, s, [z])", "'z' is not a coordinate of the data (q1, q2, q3)"),
            ("resume(m, s, steps: 1)", "resume needs trajectories with their derivatives; 'chain(n: 3)' is configuration samples (no momenta, times or derivatives), which an nct's train, resume, evaluate, latent, plot, correlate, classify and jacobian take"),
        ] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
    }

    /// The statistics behind correlate and classify on cases with known answers.
    func testPearsonAngleCutAndNearestNeighbours() throws {
        XCTAssertEqual(try XCTUnwrap(Correlate.pearson([1, 2, 3, 4], [2, 4, 6, 8])), 1, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(Correlate.pearson([1, 2, 3, 4], [8, 6, 4, 2])), -1, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(Correlate.pearson([1, 2, 3], [1, 0, 1])), 0, accuracy: 1e-15)
        XCTAssertNil(Correlate.pearson([1, 2, 3], [5, 5, 5]))
        XCTAssertNil(Correlate.pearson([1, 2, 3], [1, .nan, 2]))
        // Angles from -170 to 130 degrees, a gap from 130 to 190: q linear in the angle from the
        // cut in that gap correlates perfectly, and the cut is the gap's middle, 160 degrees.
        let degrees = stride(from: -170.0, through: 130, by: 10).map { $0 }
        let phi = degrees.map { $0 * Double.pi / 180 }
        let q = degrees.map { 2 * $0 + 5 }
        XCTAssertEqual(Correlate.angleCorrelation(q, phi), "1.0 (cut at 160 degrees)")
        // Two clusters, labels 0 and 1: 5-NN gets every test row right on the column that
        // separates them and about half on the column that does not.
        let points: [[Double]] = (0..<40).map { (i: Int) -> [Double] in
            let separating: Double = Double(i % 2) * 10 + Double(i % 7) * 0.1
            return [separating, Double(i % 3)]
        }
        let labels = (0..<40).map { $0 % 2 }
        let train = Array(0..<30), test = Array(30..<40)
        XCTAssertEqual(try Classify.accuracy([0], { points[$0][$1] }, train, test, labels), 1)
        XCTAssertLessThan(try Classify.accuracy([1], { points[$0][$1] }, train, test, labels), 0.8)
    }
}
