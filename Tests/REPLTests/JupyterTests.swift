import Dynamics
import Foundation
import XCTest
@testable import REPL

/// What the Jupyter kernel and `noether convert` rest on: notebook conversion both ways, rich
/// outputs, completion and inspection, and NumPy's file formats (the kernel itself runs
/// through jupyter_client and nbclient in scripts/test-jupyter.sh).
final class JupyterTests: XCTestCase {
    // MARK: Conversion

    /// Every text notebook goes to .ipynb and back byte for byte.
    func testEveryNotebookRoundTripsThroughIPYNB() throws {
        let directory = NotebookTests.notebooksDirectory
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".txt") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 30)
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let notebook = Notebook(text: text)
            let ipynb = notebook.ipynb()
            let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: ipynb) as? [String: Any], file)
            let cells = try XCTUnwrap(document["cells"] as? [[String: Any]])
            XCTAssertEqual(cells.filter { $0["cell_type"] as? String == "code" }.count, notebook.cells.count, file)
            XCTAssertEqual(try Notebook.text(fromIPYNB: ipynb, name: file), text, file)
        }
    }

    func testConversionFromJupyterAuthoredCells() throws {
        let document: [String: Any] = ["nbformat": 4, "nbformat_minor": 5, "metadata": [:], "cells": [
            ["cell_type": "markdown", "metadata": [:], "source": ["A *new* note\n", "\n", "second line"]],
            ["cell_type": "code", "metadata": [:], "source": "canonical (x, px)   # a pair\nH = px^2/2 + x^2/2\n\nH", "outputs": [
                ["output_type": "display_data", "metadata": ["noether": ["progress": true]], "data": ["text/plain": "step 1/1"]],
                ["output_type": "display_data", "metadata": [:], "data": ["text/plain": "px^2/2 + x^2/2", "text/latex": "$$x$$"]],
                ["output_type": "display_data", "metadata": [:], "data": ["image/png": "iVBORw0KGgo=", "text/plain": "<figure>"]],
            ]],
            ["cell_type": "code", "metadata": [:], "source": "foo(1", "outputs": [
                ["output_type": "error", "ename": "Error", "evalue": "e", "traceback": ["error: \u{1B}[31m1:6: expected ',' or ')', found end of input\u{1B}[0m", "  foo(1", "       ^"]],
            ]],
        ]]
        let text = try Notebook.text(fromIPYNB: try JSONSerialization.data(withJSONObject: document), name: "j.ipynb")
        XCTAssertEqual(text, """
            # A *new* note
            #
            # second line
            # a pair
            > canonical (x, px); H = px^2/2 + x^2/2; H
            px^2/2 + x^2/2
            > foo(1
            error: 1:6: expected ',' or ')', found end of input
              foo(1
                   ^

            """)
        // The converted notebook checks: its recorded outputs are what Noether prints.
        let notebook = Notebook(text: text)
        XCTAssertEqual(notebook.differences(notebook.run(), file: "j.txt"), [])
    }

    /// Inputs the text format allows but a Jupyter cell would normalise: an empty input, a
    /// comment, spaces; prose that would read as output if moved after a code cell.
    func testAwkwardTextNotebooksRoundTrip() throws {
        let text = "plain prose\n>\n> x = 1 # set x\n>  y = 2   \n> # only a comment\n\n> \"a#b\"\n\"a#b\"\n"
        let ipynb = Notebook(text: text).ipynb()
        XCTAssertEqual(try Notebook.text(fromIPYNB: ipynb, name: "a.ipynb"), text)
        // Moved after a code cell, a plain prose line would become that cell's output: it is
        // written as a comment instead.
        var document = try XCTUnwrap(try JSONSerialization.jsonObject(with: ipynb) as? [String: Any])
        var cells = try XCTUnwrap(document["cells"] as? [[String: Any]])
        XCTAssertEqual(cells[0]["cell_type"] as? String, "markdown")
        cells.insert(cells.remove(at: 0), at: 1)
        document["cells"] = cells
        let moved = try Notebook.text(fromIPYNB: try JSONSerialization.data(withJSONObject: document), name: "m.ipynb")
        XCTAssertTrue(moved.hasPrefix(">\n# plain prose\n> x = 1 # set x\n"), moved)
        // Backslashes Markdown's escaping did not add (LaTeX, paths) stay; stderr is not output.
        let authored: [String: Any] = ["nbformat": 4, "cells": [
            ["cell_type": "markdown", "source": "$\\frac{p}{2}$ in C:\\data, \\*not bold\\*"],
            ["cell_type": "code", "source": "1 + 1", "outputs": [
                ["output_type": "stream", "name": "stderr", "text": "step 1/1\n"],
                ["output_type": "stream", "name": "stdout", "text": "2\n\n# odd\n"]]],
        ]]
        var warnings: [String] = []
        let converted = try Notebook.text(fromIPYNB: try JSONSerialization.data(withJSONObject: authored), name: "j.ipynb", warnings: &warnings)
        XCTAssertEqual(converted, "# $\\frac{p}{2}$ in C:\\data, *not bold*\n> 1 + 1\n2\n\n# odd\n")
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].hasPrefix("j.ipynb, cell 2: the output line '' cannot be recorded"), warnings[0])
    }

    func testConversionErrorsSayWhere() {
        func message(_ json: String) -> String {
            do { _ = try Notebook.text(fromIPYNB: Data(json.utf8), name: "bad.ipynb"); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("{"), "bad.ipynb: not a Jupyter notebook (it is not a JSON object)")
        XCTAssertTrue(message(#"{"nbformat": 3, "cells": []}"#).contains("nbformat 3 is not supported"))
        XCTAssertEqual(message(#"{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}"#), "bad.ipynb: cell 1: 'source' is neither text nor a list of lines")
        XCTAssertEqual(message(#"{"nbformat": 4, "cells": [{"source": ""}]}"#), "bad.ipynb: cell 1 has no 'cell_type'")
    }

    // MARK: Rich output, completion, inspection

    func testRichOutputsCarryLaTeXAndHTMLTables() throws {
        let interpreter = Interpreter()
        interpreter.richOutput = true
        var streamed: [Interpreter.Outcome] = []
        let outcomes = interpreter.execute("canonical (x, px)\nH = px^2/2 + x^2/2\nbracket(x, H)\nlatex(H)\n1 +") { streamed.append($0) }
        XCTAssertEqual(streamed.map(\.lines), outcomes.map(\.lines))
        XCTAssertEqual(outcomes[2].latex, "\\mathrm{px}")
        XCTAssertEqual(outcomes[3].lines, ["\\frac{\\mathrm{px}^{2}}{2} + \\frac{x^{2}}{2}"])
        XCTAssertEqual(outcomes[3].latex, outcomes[3].lines[0])
        XCTAssertTrue(outcomes[4].failed)
        XCTAssertFalse(outcomes[4].stoppedByUser)
        let table = TextTable(above: ["title"], header: ["a", "b<c"], rows: [["1", "x & y"]], below: ["note"])
        XCTAssertEqual(table.text, "title\na   b<c\n1   x & y\nnote")
        XCTAssertEqual(table.html, "<p>title</p>\n<table>\n<thead><tr><th>a</th><th>b&lt;c</th></tr></thead>\n<tbody>\n<tr><td>1</td><td>x &amp; y</td></tr>\n</tbody>\n</table>\n<p>note</p>")
        // Without richOutput (the REPL, notebooks) nothing extra is computed.
        XCTAssertNil(Interpreter().execute("1 + x")[0].latex)
    }

    func testCompletionFromDeclarationsSessionAndCatalog() {
        let interpreter = Interpreter()
        _ = interpreter.execute("load kepler2d\nenergy = H")
        XCTAssertEqual(interpreter.completions("brac", cursor: 4), .init(start: 0, end: 4, matches: ["bracket"]))
        XCTAssertEqual(interpreter.completions("load kep", cursor: 8).matches, ["kepler2d", "kepler3d"])
        XCTAssertEqual(interpreter.completions("x = train(hnn, d, st", cursor: 20).matches, ["step: ", "steps: "])
        XCTAssertEqual(interpreter.completions("train(hnn, d, steps: ene", cursor: 24).matches, ["energy"])
        XCTAssertEqual(interpreter.completions("simulate(H, \"st", cursor: 15).matches, [], "inside a string the call's labels do not apply")
        XCTAssertTrue(interpreter.completions("bracket(q", cursor: 9).matches.contains("q1"))
        XCTAssertEqual(interpreter.completions("help con", cursor: 8).matches, ["conserved"])
        XCTAssertTrue(interpreter.inspection("bracket(", cursor: 8)?.hasPrefix("bracket(f, g)") == true)
        XCTAssertTrue(interpreter.inspection("x = conserved", cursor: 6)?.contains("example:") == true)
        XCTAssertEqual(interpreter.inspection("energy", cursor: 2)?.hasPrefix("energy = p1^2/2"), true)
        XCTAssertNil(interpreter.inspection("nothing_here", cursor: 3))
    }

    // MARK: NumPy files

    func testNPYRoundTripsAndIsWhatNumPyWrites() throws {
        let a = NumPyFile.Array(shape: [2, 3], values: .float64([1, -2.5, .pi, 0, 1e-300, 7]))
        let bytes = NumPyFile.encode(a)
        // NumPy's own header for np.save(np.zeros((2, 3))): data starts on a 64-byte boundary.
        let header = String(decoding: bytes[10..<128], as: UTF8.self)
        XCTAssertEqual(header, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }" + String(repeating: " ", count: 58) + "\n")
        XCTAssertEqual(bytes.count, 128 + 48)
        XCTAssertEqual(try NumPyFile.decode(bytes, name: "a"), a)
        let strings = NumPyFile.Array(shape: [3], values: .unicode(["train", "test", "π"], width: 5))
        XCTAssertEqual(try NumPyFile.decode(NumPyFile.encode(strings), name: "s"), strings)
        let scalar = NumPyFile.Array(shape: [], values: .unicode(["{\"a\": 1}"], width: 8))
        XCTAssertEqual(try NumPyFile.decode(NumPyFile.encode(scalar), name: "m"), scalar)
        // A large dataset's metadata is one long string (a flag per trajectory): it reads back.
        let long = String(repeating: "false, ", count: 200_000)
        let metadata = NumPyFile.Array(shape: [], values: .unicode([long], width: long.unicodeScalars.count))
        XCTAssertEqual(try NumPyFile.decode(NumPyFile.encode(metadata), name: "m"), metadata)
        // Fortran order, big-endian int32 and float32 as NumPy may write them.
        var fortran = Data([0x93] + Array("NUMPY".utf8) + [1, 0, 0x46, 0])
        fortran.append(contentsOf: "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 2), }".padding(toLength: 69, withPad: " ", startingAt: 0).utf8)
        fortran.append(0x0A)
        for v: Int32 in [1, 3, 2, 4] { withUnsafeBytes(of: v.bigEndian) { fortran.append(contentsOf: $0) } }
        XCTAssertEqual(try NumPyFile.decode(fortran, name: "f"), .init(shape: [2, 2], values: .int64([1, 2, 3, 4])))
    }

    func testCorruptAndForeignNumPyFilesGetClearErrors() throws {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return "\(error)" }
        }
        let good = NumPyFile.encode(.init(shape: [4], values: .float64([1, 2, 3, 4])))
        XCTAssertTrue(message { try NumPyFile.decode(good.prefix(good.count - 3), name: "'a.npy'") }.contains("should hold 4 values of 8 bytes"))
        XCTAssertTrue(message { try NumPyFile.decode(good.prefix(30), name: "'a.npy'") }.contains("cut off inside its header"))
        XCTAssertTrue(message { try NumPyFile.decode(Data("hello".utf8), name: "'a.npy'") }.contains("is not a .npy array"))
        var object = good
        object.replaceSubrange(10..<(10 + "{'descr': '<f8'".utf8.count), with: Data("{'descr': '|O8'".utf8))
        XCTAssertTrue(message { try NumPyFile.decode(object, name: "'a.npy'") }.contains("holds Python objects"))

        // Hostile headers: item sizes and shapes that would overflow or allocate from nothing.
        func npy(_ header: String, data: Data = Data()) -> Data {
            let padded = header + String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count & 0xFF), UInt8(padded.utf8.count >> 8)])
            d.append(contentsOf: padded.utf8)
            d.append(data)
            return d
        }
        for (descr, shape, expected) in [("<U4611686018427387904", "(1,)", "item size"), ("<f1152921504606846976", "(16,)", "item size"),
                                         ("<U0", "(100000000,)", "item size"), ("<f8", "(4611686018427387904, 4)", "absurdly large"),
                                         ("<f8", "(1099511627776,)", "should hold"), ("<i2", "(1,)", "Noether reads")] {
            let m = message { try NumPyFile.decode(npy("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }", data: Data([0, 0])), name: "'h.npy'") }
            XCTAssertTrue(m.contains(expected), "\(descr) \(shape): \(m)")
        }
        let archive = try NumPyFile.archive([("x", .init(shape: [4], values: .float64([1, 2, 3, 4])))])
        XCTAssertEqual(try NumPyFile.arrays(inArchive: archive, name: "'z.npz'")["x"]?.values, .float64([1, 2, 3, 4]))
        var flipped = archive
        flipped[100] ^= 0x40
        XCTAssertTrue(message { try NumPyFile.arrays(inArchive: flipped, name: "'z.npz'") }.contains("fails its CRC-32 check"))
        XCTAssertTrue(message { try NumPyFile.arrays(inArchive: archive.prefix(archive.count - 10), name: "'z.npz'") }.contains("end record is missing"))
        var deflated = archive
        deflated[8] = 8  // the local header's method; the directory's says the same below
        let directory = archive.count - 22 - 46 - 5
        deflated[directory + 10] = 8
        XCTAssertTrue(message { try NumPyFile.arrays(inArchive: deflated, name: "'z.npz'") }.contains("np.savez_compressed"))
        // A NumPy archive that is not a dataset.
        let foreign = try NumPyFile.archive([("a", .init(shape: [1], values: .int64([1])))])
        XCTAssertEqual(message { try DatasetArchive.decode(foreign, path: "f.npz") },
                       "'f.npz' has no 'metadata' array, so it is not a dataset Noether saved (its arrays: a)")
    }

    /// An archive's metadata is checked as the CSV reader checks its preamble and header.
    func testDatasetArchiveMetadataIsCheckedAsTheCSVPreamble() throws {
        let interpreter = Interpreter()
        _ = interpreter.execute("load harmonic\nd = dataset(harmonic, trajectories: 2, samples: 3, test: 0.5, seed: 1)")
        let data = try XCTUnwrap(interpreter.session.objects["d"]?.object(DatasetValue.self)?.dataset)
        let good = try DatasetArchive.encode(data)
        XCTAssertEqual(try DatasetArchive.encode(try DatasetArchive.decode(good, path: "g.npz")), good)
        var arrays = try NumPyFile.arrays(inArchive: good, name: "g")
        guard case .unicode(let texts, _) = arrays["metadata"]!.values else { return XCTFail() }
        let metadata = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(texts[0].utf8)) as? [String: Any])
        func refused(_ change: (inout [String: Any]) -> Void) -> String {
            var m = metadata
            change(&m)
            let json = String(decoding: try! JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]), as: UTF8.self)
            arrays["metadata"] = .init(shape: [], values: .unicode([json], width: json.unicodeScalars.count))
            let order = ["x", "dx", "t", "trajectory", "split", "metadata"]
            do { _ = try DatasetArchive.decode(try NumPyFile.archive(order.map { ($0, arrays[$0]!) }), path: "b.npz"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(refused { $0["names"] = ["q", "q"] }.contains("appears twice"))
        XCTAssertTrue(refused { $0["names"] = ["q", "p q"] }.contains("is not a name"))
        XCTAssertTrue(refused { $0["names"] = ["t", "p"] }.contains("appears twice"))
        XCTAssertTrue(refused { $0["noise"] = -1 }.contains("'noise' is not a finite number >= 0"))
        XCTAssertTrue(refused { $0["hamiltonian"] = "p^" }.contains("'hamiltonian' is not an expression"))
        XCTAssertTrue(refused { $0["seed"] = 3 }.contains("'seed'"))
        XCTAssertTrue(refused { $0["parameters"] = ["1k": 1] }.contains("parameter '1k'"))
        let noRows = refused { $0["test_trajectories"] = (metadata["test_trajectories"] as! [Bool]) + [false] }
        XCTAssertTrue(noRows.contains("trajectory 2 of the metadata's 3 has no rows"), noRows)
        XCTAssertEqual(refused { _ in }, "")
    }

    func testDatasetArchiveRoundTripsThroughTheVerbs() throws {
        let directory = try TemporaryFolder.create("noether-npz-test")
        defer { try? FileManager.default.removeItem(at: directory) }
        let npz = directory.appendingPathComponent("d.npz").path, csv = directory.appendingPathComponent("d.csv").path
        let again = directory.appendingPathComponent("again.csv").path
        try NumPyFile.encode(.init(shape: [1], values: .float64([1]))).write(to: directory.appendingPathComponent("a.npy"))
        let interpreter = Interpreter()
        let out = interpreter.execute("""
            load kepler2d
            d = dataset(kepler2d, trajectories: 3, samples: 4, noise: 0.01, seed: 2)
            save(d, "\(npz)")
            save(d, "\(csv)")
            e = read("\(npz)")
            save(e, "\(again)")
            save(d, "\(directory.path)/d.npy")
            read("\(directory.path)/a.npy")
            """)
        XCTAssertEqual(out[2].lines, ["wrote 12 rows to \(npz)"])
        XCTAssertFalse(out[4].failed, out[4].lines.joined())
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: csv)), try Data(contentsOf: URL(fileURLWithPath: again)), "the .npz kept every digit and field")
        XCTAssertTrue(out[6].lines[0].contains("a dataset is several arrays (x, dx, t, trajectory, split): save it as .npz"))
        XCTAssertTrue(out[7].lines[0].contains("is a single NumPy array (.npy); read takes a dataset"))
        // A corrupted archive is refused where it is read, and the session goes on.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: npz))
        let original = bytes
        // Every seventh byte flipped in turn: the read either fails saying which file, or (a
        // flipped date or version field) gives back every value and field unchanged; never a
        // changed dataset. Flips in the data itself must fail.
        var refused = 0
        for k in stride(from: 0, to: bytes.count, by: 7) {
            bytes = original
            bytes[k] ^= 1
            try bytes.write(to: URL(fileURLWithPath: npz))
            let after = interpreter.execute("f = read(\"\(npz)\")\nsave(f, \"\(again)\")\n1 + 1")
            if after[0].failed {
                XCTAssertTrue(after[0].lines[0].contains(npz), "byte \(k): " + after[0].lines.joined())
                refused += 1
            } else {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: csv)), try Data(contentsOf: URL(fileURLWithPath: again)), "byte \(k) changed the data silently")
            }
            XCTAssertEqual(after.last?.lines, ["2"])
        }
        XCTAssertGreaterThan(refused, original.count / 7 * 9 / 10, "nearly every byte is data or a checked field")
    }
}
