import Foundation
import XCTest
@testable import Dynamics

/// A private folder for one test, removed afterwards.
final class ScratchFolder {
    let url: URL
    init() throws { url = try TemporaryFolder.create("noether-files-test") }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func fifo(_ name: String) -> String {
        let p = path(name)
        XCTAssertEqual(mkfifo(p, 0o644), 0, "mkfifo")
        return p
    }
    /// The permission bits and kind of what is at `p` (lstat: links are not followed).
    func mode(_ p: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(p, &info), 0)
        return info.st_mode
    }
    func text(_ p: String) throws -> String { try String(contentsOfFile: p, encoding: .utf8) }
    /// Every name in the folder (to see that no temporary file is left behind).
    var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }
}

/// Runs `body` on another thread and fails (instead of hanging the suite) if it has not
/// returned within `seconds`; `unblock` is called then, to release it.
func finishes(within seconds: Double, _ body: @escaping @Sendable () -> Void, unblock: () -> Void = {}) -> Bool {
    let done = DispatchSemaphore(value: 0)
    Thread { body(); done.signal() }.start()
    if done.wait(timeout: .now() + seconds) == .success { return true }
    unblock()
    _ = done.wait(timeout: .now() + 5)
    return false
}

final class AtomicFileTests: XCTestCase {
    func testWritesThroughSymbolicLinksToTheirTarget() throws {
        let dir = try ScratchFolder()
        try AtomicFile.write(Data("old".utf8), to: dir.path("target.txt"))
        XCTAssertEqual(symlink("target.txt", dir.path("link.txt")), 0)  // relative link
        XCTAssertEqual(symlink(dir.path("link.txt"), dir.path("link2.txt")), 0)  // absolute link to a link
        try AtomicFile.write(Data("through one link".utf8), to: dir.path("link.txt"))
        XCTAssertEqual(dir.mode(dir.path("link.txt")) & S_IFMT, S_IFLNK, "the link stays a link")
        XCTAssertEqual(try dir.text(dir.path("target.txt")), "through one link")
        try AtomicFile.write(Data("through two".utf8), to: dir.path("link2.txt"))
        XCTAssertEqual(dir.mode(dir.path("link2.txt")) & S_IFMT, S_IFLNK)
        XCTAssertEqual(dir.mode(dir.path("link.txt")) & S_IFMT, S_IFLNK)
        XCTAssertEqual(try dir.text(dir.path("target.txt")), "through two")
        // A dangling link creates its target.
        XCTAssertEqual(symlink("new.txt", dir.path("dangling.txt")), 0)
        try AtomicFile.write(Data("created".utf8), to: dir.path("dangling.txt"))
        XCTAssertEqual(try dir.text(dir.path("new.txt")), "created")
        XCTAssertEqual(dir.mode(dir.path("dangling.txt")) & S_IFMT, S_IFLNK)
        // A loop of links is refused with a message, not followed forever.
        XCTAssertEqual(symlink("loopB", dir.path("loopA")), 0)
        XCTAssertEqual(symlink("loopA", dir.path("loopB")), 0)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: dir.path("loopA"))) { XCTAssertTrue("\($0)".contains("do not end"), "\($0)") }
        XCTAssertEqual(dir.names, ["dangling.txt", "link.txt", "link2.txt", "loopA", "loopB", "new.txt", "target.txt"], "no temporary file is left")
    }

    func testKeepsTheModeOfAFileItReplaces() throws {
        let dir = try ScratchFolder()
        let p = dir.path("secret.csv")
        for mode: mode_t in [0o600, 0o640, 0o444, 0o755] {
            try AtomicFile.write(Data("a".utf8), to: p)
            XCTAssertEqual(chmod(p, mode), 0)
            try AtomicFile.write(Data("b".utf8), to: p)
            XCTAssertEqual(dir.mode(p) & 0o7777, mode, String(mode, radix: 8))
            XCTAssertEqual(try dir.text(p), "b")
            XCTAssertEqual(chmod(p, 0o644), 0)
            try FileManager.default.removeItem(atPath: p)
        }
        // Through a link, the target's mode is the one kept.
        try AtomicFile.write(Data("a".utf8), to: p)
        XCTAssertEqual(chmod(p, 0o600), 0)
        XCTAssertEqual(symlink("secret.csv", dir.path("alias.csv")), 0)
        try AtomicFile.write(Data("c".utf8), to: dir.path("alias.csv"))
        XCTAssertEqual(dir.mode(p) & 0o7777, 0o600)
        // A new file gets 0666 less the umask, as open(2) gives.
        let mask = umask(0o022); umask(mask)
        try AtomicFile.write(Data("n".utf8), to: dir.path("fresh.csv"))
        XCTAssertEqual(dir.mode(dir.path("fresh.csv")) & 0o7777, 0o666 & ~mask)
    }

    func testRefusesWhatIsNotARegularFileAndLeavesItAsItWas() throws {
        let dir = try ScratchFolder()
        let fifo = dir.fifo("pipe")
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: fifo)) { XCTAssertTrue("\($0)".contains("is a FIFO (named pipe), not a regular file"), "\($0)") }
        XCTAssertEqual(dir.mode(fifo) & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
        // A link to a FIFO: refused, naming both.
        XCTAssertEqual(symlink("pipe", dir.path("to-pipe")), 0)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: dir.path("to-pipe"))) { XCTAssertTrue("\($0)".contains("a link to"), "\($0)") }
        XCTAssertEqual(dir.mode(dir.path("to-pipe")) & S_IFMT, S_IFLNK)
        try FileManager.default.createDirectory(atPath: dir.path("folder"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: dir.path("folder"))) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
        XCTAssertEqual(dir.mode(dir.path("folder")) & S_IFMT, S_IFDIR)
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: "/dev/null")) { XCTAssertTrue("\($0)".contains("character device"), "\($0)") }
        var null = stat()
        XCTAssertEqual(stat("/dev/null", &null), 0)
        XCTAssertEqual(null.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: dir.path("missing-folder/file.csv")))
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: ""))
        XCTAssertEqual(dir.names, ["folder", "pipe", "to-pipe"], "nothing was created")
    }

    /// A failed write leaves the old contents: here the rename cannot happen because the
    /// folder is read-only (skipped as root, who may write anyway).
    func testAFailedWriteLeavesTheOldFile() throws {
        let dir = try ScratchFolder()
        let p = dir.path("kept.csv")
        try AtomicFile.write(Data("old".utf8), to: p)
        XCTAssertEqual(chmod(dir.url.path, 0o500), 0)
        defer { chmod(dir.url.path, 0o700) }
        guard geteuid() != 0 else { throw XCTSkip("root writes into read-only folders") }
        XCTAssertThrowsError(try AtomicFile.write(Data("new".utf8), to: p))
        XCTAssertEqual(try dir.text(p), "old")
        XCTAssertEqual(dir.names, ["kept.csv"])
    }
}

final class RegularFileTests: XCTestCase {
    /// Opening a FIFO without a writer blocks in open(2); the reader must refuse it at once.
    func testAFIFOWithoutAWriterIsRefusedAtOnce() throws {
        let dir = try ScratchFolder()
        let fifo = dir.fifo("pipe")
        final class Box: @unchecked Sendable { var outcome: Result<Data, Error>? }
        let box = Box()
        let returned = finishes(within: 5, { box.outcome = Result { try RegularFile.read(fifo) } }, unblock: {
            // Release a blocked open by opening the other end.
            let fd = open(fifo, O_WRONLY | O_NONBLOCK); if fd >= 0 { close(fd) }
        })
        XCTAssertTrue(returned, "reading a FIFO blocked")
        XCTAssertThrowsError(try box.outcome?.get()) { XCTAssertEqual("\($0)", "cannot read '\(fifo)': it is a FIFO (named pipe), not a regular file") }
    }

    func testDevicesAndDirectoriesAreRefusedAndFilesRead() throws {
        let dir = try ScratchFolder()
        XCTAssertThrowsError(try RegularFile.read("/dev/zero")) { XCTAssertTrue("\($0)".contains("character device"), "\($0)") }
        XCTAssertThrowsError(try RegularFile.read(dir.url.path)) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
        XCTAssertThrowsError(try RegularFile.read(dir.path("absent"))) { XCTAssertTrue("\($0)".contains("no such file"), "\($0)") }
        try Data().write(to: URL(fileURLWithPath: dir.path("empty")))
        XCTAssertEqual(try RegularFile.read(dir.path("empty")), Data())
        let big = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try big.write(to: URL(fileURLWithPath: dir.path("big")))
        XCTAssertEqual(try RegularFile.read(dir.path("big")), big)
        XCTAssertEqual(symlink("big", dir.path("link")), 0)
        XCTAssertEqual(try RegularFile.read(dir.path("link")), big, "links are followed")
    }

    func testTextLinesAcceptWindowsLineEndings() {
        XCTAssertEqual(TextLines.split("a\r\nb\r\n"), ["a", "b", ""])
        XCTAssertEqual(TextLines.split("a\nb"), ["a", "b"])
        XCTAssertEqual(TextLines.split("\u{FEFF}a\r\n\r\nb"), ["a", "", "b"])
        XCTAssertEqual(TextLines.split("a\rb\n"), ["a\rb", ""], "a lone CR is not a line end")
        XCTAssertEqual(FileError.quoted("a\u{1B}[2Jb\n"), "a\\x1B[2Jb\\n")
        XCTAssertEqual(FileError.quoted(String(repeating: "x", count: 100), limit: 5), "xxxxx...")
    }
}

final class DatasetFileTests: XCTestCase {
    func sample(trajectories: Int = 4, samples: Int = 10) throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = trajectories
        recipe.samples = samples
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 3))
    }

    /// Writes `text` to a file and reads it as a dataset.
    func read(_ text: String, _ dir: ScratchFolder) throws -> Dataset {
        let p = dir.path("data.csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return try DatasetFile.read(p)
    }

    func rejects(_ text: String, _ dir: ScratchFolder, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try read(text, dir), file: file, line: line) { XCTAssertTrue("\($0)".contains(fragment), "\($0)", file: file, line: line) }
    }

    func testTheRowCountAndChecksumAreRecordedAndChecked() throws {
        let dir = try ScratchFolder()
        let data = try sample()
        try DatasetFile.write(data, to: dir.path("data.csv"))
        let text = try dir.text(dir.path("data.csv"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines[1].contains("; rows: 40; checksum: "), lines[1])
        // The recorded checksum is FNV-1a of the header and rows, each ended by a newline.
        let body = lines[2...].joined(separator: "\n")
        XCTAssertTrue(lines[1].hasSuffix("checksum: " + String(format: "%016llx", FNV1a.of(body.utf8))), lines[1])
        let back = try read(text, dir)
        XCTAssertEqual(back.states, data.states)
        XCTAssertEqual(back.trajectoryIDs, data.trajectoryIDs)
        XCTAssertEqual(back.notes, [])
        // Cut at a row boundary: 19 of the 40 rows.
        let cut = lines.prefix(3 + 19).joined(separator: "\n") + "\n"
        rejects(cut, dir, "has 19 of the 40 rows its preamble records: the file is truncated")
        rejects(lines.prefix(3).joined(separator: "\n") + "\n", dir, "has 0 of the 40 rows")
        rejects(text + lines[5] + "\n", dir, "has 41 rows, its preamble records 40")
        // A changed value, same row count.
        let row = lines[7], digit: Character = row.last == "1" ? "2" : "1"
        let changed = text.replacingOccurrences(of: "\n" + row + "\n", with: "\n" + row.dropLast() + String(digit) + "\n")
        XCTAssertNotEqual(changed, text)
        rejects(changed, dir, "fails its checksum")
        // Windows line endings: the same numbers, and the checksum still holds.
        let crlf = try read(text.replacingOccurrences(of: "\n", with: "\r\n"), dir)
        XCTAssertEqual(crlf.states, data.states)
        XCTAssertEqual(crlf.notes, [])
        XCTAssertEqual(try read("\u{FEFF}" + text, dir).states, data.states, "a byte-order mark is dropped")
    }

    /// A file written before the row count existed reads, with a note saying what cannot be
    /// checked; one without only the checksum has its rows counted.
    func testOlderFilesReadWithANote() throws {
        let dir = try ScratchFolder()
        try DatasetFile.write(try sample(), to: dir.path("data.csv"))
        let text = try dir.text(dir.path("data.csv"))
        let old = text.replacingOccurrences(of: #"; rows: 40; checksum: [0-9a-f]{16}"#, with: "", options: .regularExpression)
        XCTAssertNotEqual(old, text)
        let back = try read(old, dir)
        XCTAssertEqual(back.count, 40)
        XCTAssertEqual(back.notes.count, 1)
        XCTAssertTrue(back.notes[0].contains("records no row count"), back.notes[0])
        let noChecksum = text.replacingOccurrences(of: #"; checksum: [0-9a-f]{16}"#, with: "", options: .regularExpression)
        XCTAssertTrue(try read(noChecksum, dir).notes[0].contains("records no checksum"))
        rejects(noChecksum.split(separator: "\n").prefix(10).joined(separator: "\n") + "\n", dir, "has 7 of the 40 rows")
    }

    func testThePreambleIsParsedStrictly() throws {
        let dir = try ScratchFolder()
        try DatasetFile.write(try sample(), to: dir.path("data.csv"))
        let text = try dir.text(dir.path("data.csv"))
        let preamble = String(text.split(separator: "\n")[1])
        func with(_ from: String, _ to: String) -> String {
            XCTAssertTrue(preamble.contains(from), from)
            return text.replacingOccurrences(of: preamble, with: preamble.replacingOccurrences(of: from, with: to))
        }
        let noise = preamble.components(separatedBy: "; ").first { $0.hasPrefix("noise: ") }!
        rejects(with(noise, "noise: banana"), dir, "line 2, field 'noise': 'banana' is not a finite number >= 0")
        rejects(with(noise, "noise: -0.5"), dir, "field 'noise': '-0.5'")
        rejects(with(noise, "noise: inf"), dir, "field 'noise': 'inf'")
        rejects(with(noise, "noise: "), dir, "field 'noise': ''")
        rejects(with("seed: 3;", "seed: -7;"), dir, "line 2, field 'seed': '-7' is not a non-negative integer")
        rejects(with("seed: 3;", "seed: 1.5;"), dir, "field 'seed': '1.5'")
        rejects(with("seed: 3;", "seed: 18446744073709551616;"), dir, "field 'seed'")
        rejects(with("seed: 3;", "seed: +3;"), dir, "field 'seed': '+3'")
        XCTAssertEqual(try read(with("seed: 3;", "seed: 18446744073709551615;"), dir).seed, UInt64.max)
        rejects(with("k=2", "k=nan"), dir, "line 2, field 'parameters': 'k=nan'")
        rejects(with("k=2", "k=inf"), dir, "'k=inf'")
        rejects(with("k=2", "k"), dir, "'k' is not name=value")
        rejects(with("k=2", "2k=2"), dir, "'2k=2' is not name=value")
        rejects(with("k=2", "k=2 k=3"), dir, "'k' is given twice")
        rejects(with("; rows: 40", "; rows: -40"), dir, "field 'rows': '-40'")
        rejects(with("; rows: 40", "; rows: forty"), dir, "field 'rows': 'forty'")
        rejects(with("; checksum: ", "; checksum: 0x"), dir, "field 'checksum'")
        rejects(with("; rows: 40", "; rows: 40; rows: 40"), dir, "the field 'rows' appears twice")
        rejects(with("; rows: 40", "; rows: 40; colour: blue"), dir, "unknown field 'colour'")
        rejects(with("; rows: 40", "; rows 40"), dir, "'rows 40' is not a 'name: value' field")
        rejects(with("seed: 3; ", ""), dir, "the preamble has no 'seed:' field")
        rejects(with("# system: harmonic", "# system: "), dir, "field 'system'")
        rejects(text.replacingOccurrences(of: preamble, with: "system: harmonic"), dir, "line 2: the preamble must start with '# '")
        // Control bytes in a bad value are escaped, not echoed.
        rejects(with(noise, "noise: \u{1B}[2J"), dir, "'\\x1B[2J'")
    }

    func testColumnNamesMustBeDistinctNames() throws {
        let dir = try ScratchFolder()
        try DatasetFile.write(try sample(), to: dir.path("data.csv"))
        let text = try dir.text(dir.path("data.csv"))
        func header(_ h: String) -> String { text.replacingOccurrences(of: "trajectory,split,t,q,p,d_q,d_p", with: h) }
        rejects(header("trajectory,split,t,q,q,d_q,d_q"), dir, "line 3: the column 'q' appears twice (columns 4 and 5)")
        rejects(header("trajectory,split,t,q 1,p,d_q 1,d_p"), dir, "line 3, column 4: 'q 1' is not a name")
        rejects(header("trajectory,split,t,1q,p,d_1q,d_p"), dir, "'1q' is not a name")
        rejects(header("trajectory,split,t,q-1,p,d_q-1,d_p"), dir, "'q-1' is not a name")
        rejects(header("trajectory,split,t,,p,d_,d_p"), dir, "line 3, column 4: '' is not a name")
        rejects(header("trajectory,split,t,q,d_q"), dir, "1 state columns")
        rejects(header("trajectory,split,t,q,p,d_p,d_q"), dir, "derivative columns")
        rejects(header("trajectory,split,t,q,p,t,d_q,d_p,d_t"), dir, "the column 't' appears twice (columns 3 and 6)")
        rejects(header("trajectory,split,t,q,p,r,d_q,d_p,d_r"), dir, "3 state columns")
        rejects(header("trajectory,split,t,q,trajectory,d_q,d_trajectory"), dir, "the column 'trajectory' appears twice")
    }

    /// Trajectory ids are labels: huge or sparse ids are renumbered 0, 1, ... in their order,
    /// with a note, and nothing is allocated in proportion to an id.
    func testTrajectoryIdsAreBoundedByTheRowsPresent() throws {
        let dir = try ScratchFolder()
        let data = try sample()
        try DatasetFile.write(data, to: dir.path("data.csv"))
        let text = try dir.text(dir.path("data.csv")).replacingOccurrences(of: #"; rows: 40; checksum: [0-9a-f]{16}"#, with: "", options: .regularExpression)
        for big in ["100000000000", "9223372036854775807", "100000000", "5"] {
            let relabelled = text.replacingOccurrences(of: "\n3,", with: "\n\(big),")
            let back = try read(relabelled, dir)
            XCTAssertEqual(back.trajectoryCount, 4, big)
            XCTAssertEqual(back.trajectoryIDs, data.trajectoryIDs, big)
            XCTAssertEqual(back.isTestTrajectory, data.isTestTrajectory, big)
            XCTAssertTrue(back.notes.contains { $0.contains("numbers its 4 trajectories 0 to \(big); they are renumbered 0 to 3") }, "\(back.notes)")
        }
        // Sparse ids keep their order: 0, 1, 7, 3 → 0, 1, 3, 2.
        let sparse = try read(text.replacingOccurrences(of: "\n2,", with: "\n7,"), dir)
        XCTAssertEqual(Array(Set(sparse.trajectoryIDs)).sorted(), [0, 1, 2, 3])
        XCTAssertEqual(sparse.trajectoryIDs[20], 3)
        XCTAssertEqual(sparse.trajectoryIDs[30], 2)
        rejects(text.replacingOccurrences(of: "\n3,", with: "\n9223372036854775808,"), dir, "the trajectory id '9223372036854775808' is not an integer from 0 to 2^63 - 1")
        rejects(text.replacingOccurrences(of: "\n3,", with: "\n-3,"), dir, "the trajectory id '-3'")
        rejects(text.replacingOccurrences(of: "\n3,", with: "\n3.0,"), dir, "the trajectory id '3.0'")
    }

    func testEmptyAndForeignFilesSayWhatTheyAre() throws {
        let dir = try ScratchFolder()
        rejects("", dir, "is empty (0 bytes)")
        rejects("# noether da", dir, "ends inside its first line: truncated")
        rejects("# noether dataset 1\n", dir, "ends before its header")
        rejects("q,p\n1,2\n", dir, "is not a Noether dataset")
        XCTAssertThrowsError(try DatasetFile.read(dir.fifo("pipe"))) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertTrue(DatasetFile.looksLikeDataset(Data("# noether dataset 1\n".utf8)))
        XCTAssertTrue(DatasetFile.looksLikeDataset(Data("\u{FEFF}# noether".utf8)))
        XCTAssertFalse(DatasetFile.looksLikeDataset(Data()))
        XCTAssertFalse(DatasetFile.looksLikeDataset(Data("NOETHER-CHECKPOINT 2\n".utf8)))
    }

    /// `save` of a dataset goes through the shared writer: links followed, mode kept.
    func testDatasetWritesFollowLinksAndKeepModes() throws {
        let dir = try ScratchFolder()
        let data = try sample()
        let p = dir.path("data.csv")
        try DatasetFile.write(data, to: p)
        XCTAssertEqual(chmod(p, 0o600), 0)
        XCTAssertEqual(symlink("data.csv", dir.path("latest.csv")), 0)
        try DatasetFile.write(data, to: dir.path("latest.csv"))
        XCTAssertEqual(dir.mode(dir.path("latest.csv")) & S_IFMT, S_IFLNK)
        XCTAssertEqual(dir.mode(p) & 0o7777, 0o600)
        XCTAssertEqual(try DatasetFile.read(dir.path("latest.csv")).states, data.states)
        let fifo = dir.fifo("pipe")
        XCTAssertThrowsError(try DatasetFile.write(data, to: fifo))
        XCTAssertEqual(dir.mode(fifo) & S_IFMT, S_IFIFO)
    }

    /// Configuration samples (the digits' format): written and read back exactly, labels and
    /// source kept, and every malformed part refused by line and column.
    func testSamplesFilesRoundTripAndAreReadStrictly() throws {
        let dir = try ScratchFolder()
        let data = Dataset.samples(system: "digits", names: ["x1", "x2", "x3"], values: [0, 1, 2, 3, 4.5, 5, 6, 7, 8, 9, 10, 11.25],
                                   isTest: [false, true, false, false], labels: [3, 1, 4, 1], source: "a test; with a semicolon")
        try DatasetFile.write(data, to: dir.path("s.csv"))
        let text = try dir.text(dir.path("s.csv"))
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[2], "sample,split,label,x1,x2,x3")
        XCTAssertEqual(lines[3], "0,train,3,0,1,2")
        XCTAssertTrue(lines[1].hasSuffix("source: a test, with a semicolon"), lines[1])
        let back = try read(text, dir)
        XCTAssertTrue(back.isSamples)
        XCTAssertEqual(back.states, data.states)
        XCTAssertEqual(back.labels, data.labels)
        XCTAssertEqual(back.isTestTrajectory, data.isTestTrajectory)
        XCTAssertEqual(back.source, "a test, with a semicolon")
        XCTAssertEqual(back.phaseSpaceDimension, 6)
        XCTAssertEqual(Array(back.phaseSpaceStates.prefix(6)), [0, 1, 2, 0, 0, 0])
        // Without labels, too.
        var unlabelled = data
        unlabelled.labels = nil
        try DatasetFile.write(unlabelled, to: dir.path("u.csv"))
        XCTAssertNil(try DatasetFile.read(dir.path("u.csv")).labels)
        // Malformed: edited without the checksum, so each error is the row's own.
        let plain = lines[0] + "\n" + lines[1].replacingOccurrences(of: #"; checksum: [0-9a-f]+"#, with: "", options: .regularExpression) + "\n"
        func file(_ header: String, _ rows: [String]) -> String { plain + header + "\n" + rows.joined(separator: "\n") + "\n" }
        let header = "sample,split,label,x1,x2,x3"
        rejects(file(header, ["0,train,3,0,1,2", "1,test,x,3,4,5", "2,train,1,1,1,1", "3,train,1,1,1,1"]), dir, "line 5, column label: 'x' is not a class label")
        rejects(file(header, ["0,train,3,0,1,2", "1,test,1,3,4", "2,train,1,1,1,1", "3,train,1,1,1,1"]), dir, "line 5: 5 columns, the header has 6")
        rejects(file(header, ["0,train,3,0,1,2", "2,test,1,3,4,5", "2,train,1,1,1,1", "3,train,1,1,1,1"]), dir, "line 5: the sample number '2' is not 1")
        rejects(file(header, ["0,train,3,0,1,2", "1,test,1,3,nan,5", "2,train,1,1,1,1", "3,train,1,1,1,1"]), dir, "line 5, column x2: 'nan' is not a finite number")
        rejects(file("sample,split,label,x1,x1", []), dir, "the column 'x1' appears twice")
        rejects(file(header, ["0,train,3,0,1,2"]), dir, "has 1 of the 4 rows its preamble records")
        rejects(text.replacingOccurrences(of: "sampler: samples", with: "sampler: random"), dir, "the header starts with 'sample', but the preamble's sampler is 'random', not 'samples'")
    }
}
