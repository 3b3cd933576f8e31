import Dynamics
import Foundation
import XCTest
@testable import REPL

/// Files from the language: save and read against FIFOs, links, modes, empty and cut files,
/// datasets naming another system, forged checkpoints, CRLF notebooks, and the temporary
/// folder of native code.
final class RobustnessFilesTests: XCTestCase {
    var folder: URL!
    override func setUpWithError() throws { folder = try TemporaryFolder.create("noether-repl-files") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func run(_ source: String, in interpreter: Interpreter = Interpreter()) -> [String] {
        interpreter.execute(source).map { $0.lines.joined(separator: "\n") }
    }

    func kind(_ p: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(p, &info), 0, p)
        return info.st_mode & S_IFMT
    }

    func mode(_ p: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(p, &info), 0, p)
        return info.st_mode & 0o7777
    }

    let makeData = "d = dataset(harmonic, trajectories: 4, samples: 10, seed: 1)"

    func testSaveFollowsLinksKeepsModesAndRefusesSpecialFiles() throws {
        let repl = Interpreter()
        XCTAssertEqual(run(makeData, in: repl), [""])
        XCTAssertEqual(mkfifo(path("pipe"), 0o644), 0)
        XCTAssertEqual(run("save(d, \"\(path("pipe"))\")", in: repl),
                       ["error: 1:9: cannot write '\(path("pipe"))': it is a FIFO (named pipe), not a regular file; only regular files are written\n"
                        + "  save(d, \"\(path("pipe"))\")\n          ^"])
        XCTAssertEqual(kind(path("pipe")), S_IFIFO, "the FIFO is still a FIFO")
        XCTAssertTrue(run("save(d, \"/dev/null\")", in: repl)[0].contains("it is a character device"))
        XCTAssertEqual(kind("/dev/null"), S_IFCHR)
        XCTAssertTrue(run("save(d, \"\(folder.path)\")", in: repl)[0].contains("it is a directory"))
        // A link is followed; a 0600 file stays 0600.
        XCTAssertEqual(run("save(d, \"\(path("data.csv"))\")", in: repl), ["wrote 40 rows to \(path("data.csv"))"])
        XCTAssertEqual(chmod(path("data.csv"), 0o600), 0)
        XCTAssertEqual(symlink("data.csv", path("latest.csv")), 0)
        XCTAssertEqual(run("save(d, \"\(path("latest.csv"))\")", in: repl), ["wrote 40 rows to \(path("latest.csv"))"])
        XCTAssertEqual(kind(path("latest.csv")), S_IFLNK)
        XCTAssertEqual(mode(path("data.csv")), 0o600)
        // Models too.
        XCTAssertEqual(run("m = train(hnn, d, hidden: 4, steps: 2)", in: repl), [""])
        XCTAssertEqual(symlink("model.ckpt", path("model-link.ckpt")), 0)
        XCTAssertTrue(run("save(m, \"\(path("model-link.ckpt"))\")", in: repl)[0].hasPrefix("wrote the hnn model"))
        XCTAssertEqual(kind(path("model-link.ckpt")), S_IFLNK)
        XCTAssertEqual(kind(path("model.ckpt")), S_IFREG)
        XCTAssertTrue(run("save(m, \"\(path("pipe"))\")", in: repl)[0].contains("FIFO"))
        XCTAssertTrue(run("train(hnn, d, hidden: 4, steps: 2, checkpoint: \"\(path("pipe"))\")", in: repl)[0].contains("FIFO"))
        XCTAssertEqual(kind(path("pipe")), S_IFIFO)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["data.csv", "latest.csv", "model-link.ckpt", "model.ckpt", "pipe"], "no temporary files are left")
    }

    /// Plots go through the same writer (skipped without gnuplot).
    func testPlotsFollowLinksAndRefuseFIFOs() throws {
        guard Plot.gnuplot != nil else { throw XCTSkip("gnuplot is not installed") }
        let repl = Interpreter()
        _ = run("load harmonic\nt = simulate(x0: [1, 0], t: 1, step: 0.1, method: rk4)", in: repl)
        XCTAssertEqual(run("plot(t, \"\(path("phase.png"))\")", in: repl), ["wrote \(path("phase.png"))"])
        XCTAssertEqual(chmod(path("phase.png"), 0o600), 0)
        XCTAssertEqual(symlink("phase.png", path("link.png")), 0)
        XCTAssertEqual(run("plot(H, t, \"\(path("link.png"))\")", in: repl), ["wrote \(path("link.png"))"])
        XCTAssertEqual(kind(path("link.png")), S_IFLNK)
        XCTAssertEqual(mode(path("phase.png")), 0o600)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("phase.png"))).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
        XCTAssertEqual(mkfifo(path("pipe.png"), 0o644), 0)
        XCTAssertTrue(run("plot(t, \"\(path("pipe.png"))\")", in: repl)[0].contains("FIFO"))
        XCTAssertEqual(kind(path("pipe.png")), S_IFIFO)
    }

    func testReadRefusesFIFOsAndSaysWhatAFileIs() throws {
        XCTAssertEqual(mkfifo(path("pipe"), 0o644), 0)
        final class Box: @unchecked Sendable { var out: [String] = [] }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let fifo = path("pipe")
        Thread { box.out = Interpreter().execute("read(\"\(fifo)\")").map { $0.lines.joined(separator: "\n") }; done.signal() }.start()
        if done.wait(timeout: .now() + 10) == .timedOut {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK); if fd >= 0 { close(fd) }
            _ = done.wait(timeout: .now() + 5)
            XCTFail("read of a FIFO blocked")
        }
        XCTAssertEqual(box.out.first?.components(separatedBy: "\n").first, "error: 1:6: cannot read '\(fifo)': it is a FIFO (named pipe), not a regular file")
        XCTAssertTrue(FileManager.default.createFile(atPath: path("empty.ckpt"), contents: Data()))
        XCTAssertEqual(run("read(\"\(path("empty.ckpt"))\")")[0].components(separatedBy: "\n")[0],
                       "error: 1:6: '\(path("empty.ckpt"))' is empty (0 bytes): neither a dataset nor a checkpoint")
        XCTAssertTrue(FileManager.default.createFile(atPath: path("notes.txt"), contents: Data("hello\n".utf8)))
        XCTAssertTrue(run("read(\"\(path("notes.txt"))\")")[0].contains("is neither a Noether dataset (its first line would be '# noether dataset 1', or a .npz archive) nor a checkpoint ('NOETHER-CHECKPOINT 3')"))
        XCTAssertTrue(FileManager.default.createFile(atPath: path("cut.ckpt"), contents: Data("NOETHER-CHEC".utf8)))
        XCTAssertTrue(run("read(\"\(path("cut.ckpt"))\")")[0].contains("ends inside its first line: truncated"))
        XCTAssertTrue(run("read(\"/dev/zero\")")[0].contains("character device"))
        XCTAssertTrue(run("read(\"\(folder.path)\")")[0].contains("is a directory"))
    }

    /// The reproductions of the issue: a file cut at a row boundary, lax preamble values, and
    /// a trajectory id of 10^11, 2^63 - 1 or 10^8.
    func testDatasetFilesFromTheLanguage() throws {
        let repl = Interpreter()
        _ = run(makeData + "\nsave(d, \"\(path("d.csv"))\")", in: repl)
        let text = try String(contentsOfFile: path("d.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func write(_ name: String, _ t: String) { XCTAssertTrue(FileManager.default.createFile(atPath: path(name), contents: Data(t.utf8))) }
        write("cut.csv", lines.prefix(3 + 19).joined(separator: "\n") + "\n")
        XCTAssertEqual(run("read(\"\(path("cut.csv"))\")", in: repl)[0].components(separatedBy: "\n")[0],
                       "error: 1:6: '\(path("cut.csv"))' has 19 of the 40 rows its preamble records: the file is truncated")
        write("banana.csv", text.replacingOccurrences(of: "noise: 0.10000000000000001", with: "noise: banana"))
        XCTAssertTrue(run("read(\"\(path("banana.csv"))\")", in: repl)[0].contains("line 2, field 'noise': 'banana' is not a finite number"))
        let old = text.replacingOccurrences(of: #"; rows: 40; checksum: [0-9a-f]{16}"#, with: "", options: .regularExpression)
        for id in ["100000000000", "9223372036854775807", "100000000"] {
            write("ids.csv", old.replacingOccurrences(of: "\n3,", with: "\n\(id),"))
            let out = run("e = read(\"\(path("ids.csv"))\")\ne", in: repl)
            XCTAssertEqual(out[0].components(separatedBy: "\n"), [
                "note: '\(path("ids.csv"))' records no row count (written by an earlier Noether, or by hand), so a cut at a row boundary cannot be detected; save it again to add one",
                "note: '\(path("ids.csv"))' numbers its 4 trajectories 0 to \(id); they are renumbered 0 to 3"])
            XCTAssertTrue(out[1].contains("4 trajectories x 10 samples = 40 rows"), out[1])
        }
        // A CRLF copy reads as the same data (no notes), and a saved copy is the same file.
        write("crlf.csv", text.replacingOccurrences(of: "\n", with: "\r\n"))
        XCTAssertEqual(run("c = read(\"\(path("crlf.csv"))\")\nsave(c, \"\(path("again.csv"))\")", in: repl),
                       ["", "wrote 40 rows to \(path("again.csv"))"])
        XCTAssertEqual(try String(contentsOfFile: path("again.csv"), encoding: .utf8), text)
    }

    /// A dataset whose header names a system whose state is not its columns: evaluate says so
    /// (it stopped the process on a precondition).
    func testEvaluateWithAHeaderNamingAnotherSystem() throws {
        let repl = Interpreter()
        _ = run(makeData + "\nm = train(hnn, d, hidden: 4, steps: 2)\nsave(d, \"\(path("d.csv"))\")", in: repl)
        let text = try String(contentsOfFile: path("d.csv"), encoding: .utf8)
        for (system, state) in [("kepler2d", "q1, q2, p1, p2"), ("kepler3d", "q1, q2, q3, p1, p2, p3"), ("twobody", "qx1, qy1, qx2, qy2, px1, py1, px2, py2")] {
            XCTAssertTrue(FileManager.default.createFile(atPath: path("other.csv"), contents: Data(text.replacingOccurrences(of: "system: harmonic", with: "system: \(system)").utf8)))
            let out = run("o = read(\"\(path("other.csv"))\")\nevaluate(m, o)", in: repl)
            XCTAssertEqual(out[0], "")
            XCTAssertTrue(out[1].hasSuffix("rollouts: not compared (the data names the system '\(system)', whose state is (\(state)), but its columns are (q, p))"), out[1])
        }
    }

    /// A checkpoint whose steps were forged to near Int.max (checksum recomputed) or below 0.
    func testForgedCheckpointStepsAreRefused() throws {
        let repl = Interpreter()
        _ = run(makeData + "\nm = train(hnn, d, hidden: 4, steps: 5)\nsave(m, \"\(path("m.ckpt"))\")", in: repl)
        let good = try Data(contentsOf: URL(fileURLWithPath: path("m.ckpt")))
        for forged in ["9223372036854775800", "-3"] {
            var body = good.prefix(good.count - 8)
            body.replaceSubrange(body.firstRange(of: Data("steps=5 ".utf8))!, with: Data("steps=\(forged) ".utf8))
            withUnsafeBytes(of: FNV1a.of(body).littleEndian) { body.append(contentsOf: $0) }
            try body.write(to: URL(fileURLWithPath: path("forged.ckpt")))
            let out = run("resume(read(\"\(path("forged.ckpt"))\"), d, steps: 10)", in: repl)
            XCTAssertTrue(out[0].hasPrefix("error: 1:13: '\(path("forged.ckpt"))' header line 4: steps=\(forged) is out of range (0 to 1e15)"), out[0])
        }
        XCTAssertTrue(run("resume(read(\"\(path("m.ckpt"))\"), d, steps: 3)", in: repl)[0].contains("8 steps"))
    }

    func testNotebooksAcceptWindowsLineEndings() throws {
        let unix = "# prose\n> 1 + 1\n2\n\n> x^2 == x*x\ntrue\n"
        let windows = unix.replacingOccurrences(of: "\n", with: "\r\n")
        let a = Notebook(text: unix), b = Notebook(text: windows)
        XCTAssertEqual(b.cells.map(\.input), ["1 + 1", "x^2 == x*x"])
        XCTAssertEqual(b.cells.map(\.expected), a.cells.map(\.expected))
        XCTAssertEqual(b.differences(b.run(), file: "w.txt"), [])
        XCTAssertEqual(b.transcript(b.run()), unix)
        XCTAssertTrue(FileManager.default.createFile(atPath: path("w.txt"), contents: Data(windows.utf8)))
        XCTAssertEqual(try Notebook.text(ofFile: path("w.txt")), windows)
        XCTAssertEqual(mkfifo(path("pipe.txt"), 0o644), 0)
        XCTAssertThrowsError(try Notebook.text(ofFile: path("pipe.txt"))) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
    }

    /// Compiling native code leaves nothing in the temporary directory (every run used to
    /// leave an empty noether-native-PID folder).
    func testNativeCodeLeavesNoTemporaryFolder() throws {
        func leftovers() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).filter { $0.hasPrefix("noether-native-\(getpid())") }
        }
        XCTAssertEqual(try leftovers(), [])
        let out = run("load pendulum\nsimulate(x0: [1, 0], t: 1, step: 0.1, method: leapfrog)\nsimulate(x0: [0.5, 0], t: 1, samples: 3)")
        XCTAssertFalse(out[1].hasPrefix("error"), out[1])
        XCTAssertEqual(try leftovers(), [])
    }
}
