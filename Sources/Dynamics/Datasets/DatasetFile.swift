import Foundation
import Symbolic

/// The dataset file format: CSV with a header, readable by NumPy and pandas.
///
///     # noether dataset 1
///     # system: twobody; sampler: scnn; seed: 1; noise: 0; parameters: g=1 m1=1 m2=1; rows: 1000; checksum: 3b9f06c1d2e4a578
///     trajectory,split,t,qx1,...,py2,d_qx1,...,d_py2
///     0,train,0,0.97,...
///
/// `np.genfromtxt(path, delimiter=",", skip_header=2, names=True, dtype=None, encoding=None)`
/// reads it (tested), as does `pandas.read_csv(path, comment="#")`. Numbers are written with 17 significant
/// digits, so they read back exactly. Files are written atomically (`AtomicFile`).
///
/// `rows` is the number of data rows and `checksum` the FNV-1a (64 bits, hexadecimal) of the
/// header line and the rows, each ended by "\n" (so a copy with Windows line endings checks
/// too). A file cut at a row boundary still parses, so only the count catches it. Files written
/// before these two fields existed still read, with a note saying that a cut cannot be detected.
///
/// Configuration samples (`sampler: samples`, see `Dataset.isSamples`) have no times or
/// derivatives: their header is `sample,split[,label],x1,...`, one row a sample (its own id for
/// the split), with an optional integer class label; the preamble may say where the data came
/// from (`source:`).
///
/// Reading is strict: every preamble field must be known, present once and well formed, column
/// names must be distinct names (letters, digits and `_`), and each error names the line and the
/// field or column. Trajectory ids may be any non-negative integers; they are renumbered
/// 0, 1, … in increasing order, so memory never depends on an id's size.
public enum DatasetFile {
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    static let magic = "# noether dataset 1"
    /// The preamble's fields: the first five always, rows and checksum in files since they
    /// exist, hamiltonian for a system that is not in the catalog (its H, to rebuild it from).
    static let fields = ["system", "sampler", "seed", "noise", "parameters", "rows", "checksum", "hamiltonian", "source"]

    public static func write(_ data: Dataset, to path: String) throws {
        var body = (data.isSamples ? ["sample", "split"] + (data.labels == nil ? [] : ["label"]) + data.names
                    : ["trajectory", "split", "t"] + data.names + data.names.map { "d_" + $0 }).joined(separator: ",") + "\n"
        let d = data.dimension
        for k in 0..<data.count where data.isSamples {
            var row = [String(k), data.isTest(k) ? "test" : "train"] + (data.labels.map { [String($0[k])] } ?? [])
            for i in 0..<d { row.append(repr(data.states[k * d + i])) }
            body += row.joined(separator: ",") + "\n"
        }
        for k in 0..<data.count where !data.isSamples {
            var row = [String(data.trajectoryIDs[k]), data.isTest(k) ? "test" : "train", repr(data.times[k])]
            for i in 0..<d { row.append(repr(data.states[k * d + i])) }
            for i in 0..<d { row.append(repr(data.derivatives[k * d + i])) }
            body += row.joined(separator: ",") + "\n"
        }
        let params = data.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(repr($0.value))" }.joined(separator: " ")
        let checksum = String(FNV1a.of(body.utf8), radix: 16)
        let preamble = "# system: \(data.system); sampler: \(data.sampler); seed: \(data.seed); noise: \(repr(data.noise)); "
            + "parameters: \(params); rows: \(data.count); checksum: \(String(repeating: "0", count: 16 - checksum.count) + checksum)"
            + (data.hamiltonian.map { "; hamiltonian: \($0)" } ?? "") + (data.source.map { "; source: " + $0.replacingOccurrences(of: ";", with: ",") } ?? "") + "\n"
        try AtomicFile.write(Data((magic + "\n" + preamble + body).utf8), to: path)
    }

    static func repr(_ x: Double) -> String { String(format: "%.17g", x) }

    /// Whether these bytes start like a dataset file (after a byte-order mark), or are a cut-off
    /// start of one.
    public static func looksLikeDataset(_ bytes: Data) -> Bool {
        let signature = Data("# noether dataset".utf8)
        let text = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        return !text.isEmpty && (text.starts(with: signature) || signature.starts(with: text))
    }

    /// Reads a dataset file (see the type's description for what is checked).
    public static func read(_ path: String) throws -> Dataset {
        try decode(try RegularFile.read(path), path: path)
    }

    /// Parses the bytes of a dataset file read from `path` (named in messages).
    public static func decode(_ bytes: Data, path: String) throws -> Dataset {
        func failure(_ message: String) -> FormatError { FormatError(message: "'\(path)' " + message) }
        guard !bytes.isEmpty else { throw failure("is empty (0 bytes): not a dataset") }
        guard let text = String(data: bytes, encoding: .utf8) else { throw failure("is not UTF-8 text, so not a dataset") }
        let lines = TextLines.split(text)
        guard lines.first == Substring(magic) else {
            if magic.hasPrefix(text) { throw failure("ends inside its first line: truncated") }
            throw failure("is not a Noether dataset (the first line is not '\(magic)')")
        }
        guard lines.count >= 3, lines.count > 3 || text.unicodeScalars.last == "\n" else { throw failure("ends before its header (truncated?)") }
        var data = Dataset(system: "", names: [], parameters: [:], sampler: "", seed: 0, noise: 0, states: [], derivatives: [],
                           times: [], trajectoryIDs: [], isTestTrajectory: [])

        // Line 2: the preamble, "# key: value; key: value; ...".
        guard lines[1].hasPrefix("# ") else { throw failure("line 2: the preamble must start with '# ' (# system: ...; sampler: ...)") }
        var given: [String: String] = [:]
        for raw in lines[1].dropFirst(2).split(separator: ";") {
            let field = raw.trimmingCharacters(in: .whitespaces)
            if field.isEmpty { continue }
            guard let colon = field.firstIndex(of: ":") else {
                throw failure("line 2: '\(FileError.quoted(field))' is not a 'name: value' field")
            }
            let key = String(field[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(field[field.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            guard fields.contains(key) else {
                throw failure("line 2: unknown field '\(FileError.quoted(key))' (fields: \(fields.joined(separator: ", ")))")
            }
            guard given[key] == nil else { throw failure("line 2: the field '\(key)' appears twice") }
            given[key] = value
        }
        for key in fields.prefix(5) where given[key] == nil { throw failure("line 2: the preamble has no '\(key):' field") }
        func bad(_ key: String, _ value: String, _ expected: String) -> FormatError {
            failure("line 2, field '\(key)': '\(FileError.quoted(value))' is not \(expected)")
        }
        data.system = given["system"]!
        guard !data.system.isEmpty else { throw bad("system", "", "a system name") }
        data.sampler = given["sampler"]!
        let seedText = given["seed"]!
        guard !seedText.isEmpty, seedText.utf8.allSatisfy({ (48...57).contains($0) }), let seed = UInt64(seedText) else {
            throw bad("seed", seedText, "a non-negative integer below 2^64")
        }
        data.seed = seed
        guard let noise = Double(given["noise"]!), noise.isFinite, noise >= 0 else { throw bad("noise", given["noise"]!, "a finite number >= 0") }
        data.noise = noise
        for item in given["parameters"]!.split(separator: " ") {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard kv.count == 2, isName(kv[0]) else { throw bad("parameters", String(item), "name=value") }
            guard let v = Double(kv[1]), v.isFinite else { throw bad("parameters", String(item), "name=value with a finite number") }
            guard data.parameters[kv[0]] == nil else { throw failure("line 2, field 'parameters': '\(kv[0])' is given twice") }
            data.parameters[kv[0]] = v
        }
        if let h = given["hamiltonian"] {
            guard (try? Expr.parse(h)) != nil else { throw bad("hamiltonian", h, "an expression") }
            data.hamiltonian = h
        }
        let recordedRows: Int?
        if let r = given["rows"] {
            guard let n = naturalNumber(r) else { throw bad("rows", r, "a row count (a non-negative integer)") }
            recordedRows = n
        } else { recordedRows = nil }
        let recordedChecksum: UInt64?
        if let c = given["checksum"] {
            guard c.count == 16, let h = UInt64(c, radix: 16) else { throw bad("checksum", c, "16 hexadecimal digits") }
            recordedChecksum = h
        } else { recordedChecksum = nil }

        if let source = given["source"] { data.source = source }
        if data.sampler == Dataset.samplesSampler {
            return try decodeSamples(data, lines, text: text, rows: recordedRows, checksum: recordedChecksum, failure)
        }

        // Line 3: the header.
        let header = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if header.first == "sample" { throw failure("line 3: the header starts with 'sample', but the preamble's sampler is '\(data.sampler)', not 'samples'") }
        guard header.count >= 5, header[0] == "trajectory", header[1] == "split", header[2] == "t", (header.count - 3) % 2 == 0 else {
            throw failure("line 3: the header must be trajectory,split,t, the state names, then d_ and the names")
        }
        try checkColumnNames(header, failure)
        let d = (header.count - 3) / 2
        guard d % 2 == 0 else {
            throw failure("line 3: \(d) state columns; a phase-space state has an even number (coordinates q, then momenta p)")
        }
        data.names = Array(header[3..<(3 + d)])
        guard Array(header[(3 + d)...]) == data.names.map({ "d_" + $0 }) else {
            throw failure("line 3: the derivative columns must be d_ followed by the state names, in order")
        }
        guard text.unicodeScalars.last == "\n" else { throw failure("does not end with a newline: the last row is truncated") }

        // The rows; ids are mapped to 0, 1, ... afterwards.
        var splits: [Int: Bool] = [:]
        var fileIDs: [Int] = []
        let checksum = try eachRow(lines, header: header, failure) { line, cells in
            guard let id = naturalNumber(String(cells[0]), digits: 19) else {
                throw failure("line \(line): the trajectory id '\(FileError.quoted(cells[0]))' is not an integer from 0 to 2^63 - 1")
            }
            let test = try isTest(cells[1], line: line, failure)
            if let known = splits[id], known != test {
                throw failure("line \(line): trajectory \(id) is in both the train and the test split")
            }
            splits[id] = test
            let numbers = try finiteNumbers(cells, from: 2, header: header, line: line, failure)
            fileIDs.append(id)
            data.times.append(numbers[0])
            data.states += numbers[1...d]
            data.derivatives += numbers[(1 + d)...]
        }
        try checkRows(data.count, recorded: recordedRows, checksum: checksum, recorded: recordedChecksum, failure)
        if recordedRows == nil {
            data.notes.append("'\(path)' records no row count (written by an earlier Noether, or by hand), so a cut at a row boundary "
                              + "cannot be detected; save it again to add one")
        } else if recordedChecksum == nil {
            data.notes.append("'\(path)' records no checksum, so changed values cannot be detected; save it again to add one")
        }
        // Dense trajectory numbers, in the order of the file's ids.
        let ids = splits.keys.sorted()
        var number: [Int: Int] = [:]
        for (k, id) in ids.enumerated() { number[id] = k }
        data.trajectoryIDs = fileIDs.map { number[$0]! }
        data.isTestTrajectory = ids.map { splits[$0]! }
        if let last = ids.last, last != ids.count - 1 {
            data.notes.append("'\(path)' numbers its \(ids.count) trajectories \(ids[0]) to \(last); they are renumbered 0 to \(ids.count - 1)")
        }
        return data
    }

    /// Calls `body` with the 1-based line number and the cells of every row (line 4 on, empty
    /// lines skipped), each checked to have the header's column count; returns the checksum of
    /// the header and the rows.
    static func eachRow(_ lines: [Substring], header: [String], _ failure: (String) -> FormatError,
                        _ body: (_ line: Int, _ cells: [Substring]) throws -> Void) throws -> UInt64 {
        var checksum = FNV1a()
        checksum.add(lines[2].utf8); checksum.add(10)
        for (index, line) in lines.enumerated().dropFirst(3) where !line.isEmpty {
            checksum.add(line.utf8); checksum.add(10)
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw failure("line \(index + 1): \(cells.count) columns, the header has \(header.count)")
            }
            try body(index + 1, cells)
        }
        return checksum.value
    }

    /// Whether a row's split cell says test (train or test, nothing else).
    static func isTest(_ cell: Substring, line: Int, _ failure: (String) -> FormatError) throws -> Bool {
        guard cell == "train" || cell == "test" else {
            throw failure("line \(line): split must be train or test, not '\(FileError.quoted(cell))'")
        }
        return cell == "test"
    }

    /// The cells from column `first` on as finite numbers, each error naming its column.
    static func finiteNumbers(_ cells: [Substring], from first: Int, header: [String], line: Int, _ failure: (String) -> FormatError) throws -> [Double] {
        try cells.indices.dropFirst(first).map { c in
            guard let v = Double(cells[c]), v.isFinite else {
                throw failure("line \(line), column \(header[c]): '\(FileError.quoted(cells[c]))' is not a finite number")
            }
            return v
        }
    }

    /// Every column a name, none twice.
    static func checkColumnNames(_ header: [String], _ failure: (String) -> FormatError) throws {
        var first: [String: Int] = [:]
        for (c, name) in header.enumerated() {
            guard isName(name) else {
                throw failure("line 3, column \(c + 1): '\(FileError.quoted(name))' is not a name (letters, digits and _, not starting with a digit)")
            }
            if let earlier = first[name] { throw failure("line 3: the column '\(name)' appears twice (columns \(earlier + 1) and \(c + 1))") }
            first[name] = c
        }
    }

    /// The rows read against the count and checksum the preamble records, when it records them.
    static func checkRows(_ rows: Int, recorded recordedRows: Int?, checksum: UInt64, recorded recordedChecksum: UInt64?, _ failure: (String) -> FormatError) throws {
        if let expected = recordedRows, expected != rows {
            throw failure(rows < expected
                ? "has \(rows) of the \(expected) rows its preamble records: the file is truncated"
                : "has \(rows) rows, its preamble records \(expected): rows were added after it was written")
        }
        if let expected = recordedChecksum, expected != checksum {
            throw failure("fails its checksum: rows were changed after it was written (if you edited it on purpose, delete the checksum field from line 2)")
        }
    }

    /// The rows of a samples file (line 3 on), `data` holding its preamble.
    static func decodeSamples(_ preamble: Dataset, _ lines: [Substring], text: String, rows recordedRows: Int?, checksum recordedChecksum: UInt64?,
                              _ failure: (String) -> FormatError) throws -> Dataset {
        let header = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let labelled = header.count > 2 && header[2] == "label"
        let first = labelled ? 3 : 2
        guard header.count > first, header[0] == "sample", header[1] == "split" else {
            throw failure("line 3: the header of samples must be sample,split, an optional label, then the coordinate names")
        }
        try checkColumnNames(header, failure)
        guard text.unicodeScalars.last == "\n" else { throw failure("does not end with a newline: the last row is truncated") }
        let names = Array(header[first...])
        var values: [Double] = [], tests: [Bool] = [], labels: [Int] = []
        let checksum = try eachRow(lines, header: header, failure) { line, cells in
            guard naturalNumber(String(cells[0]), digits: 19) == tests.count else {
                throw failure("line \(line): the sample number '\(FileError.quoted(cells[0]))' is not \(tests.count) (samples are numbered 0, 1, ... in order)")
            }
            tests.append(try Self.isTest(cells[1], line: line, failure))
            if labelled {
                guard let label = Int(cells[2]), (0...1_000_000).contains(label) else {
                    throw failure("line \(line), column label: '\(FileError.quoted(cells[2]))' is not a class label (an integer from 0 to 10^6)")
                }
                labels.append(label)
            }
            values += try finiteNumbers(cells, from: first, header: header, line: line, failure)
        }
        let isTest = tests
        try checkRows(isTest.count, recorded: recordedRows, checksum: checksum, recorded: recordedChecksum, failure)
        guard !isTest.isEmpty else { throw failure("has no samples") }
        var data = Dataset.samples(system: preamble.system, names: names, values: values, isTest: isTest, labels: labelled ? labels : nil, source: preamble.source,
                                  parameters: preamble.parameters)
        data.seed = preamble.seed
        data.notes = preamble.notes
        if recordedRows == nil || recordedChecksum == nil {
            data.notes.append("'\(preamble.system)' samples record no row count or checksum, so a cut or changed file cannot be detected; save them again to add them")
        }
        return data
    }

    /// A decimal integer from 0 to Int.max, written with at most `digits` digits (no sign).
    static func naturalNumber(_ s: String, digits: Int = 18) -> Int? {
        guard !s.isEmpty, s.utf8.count <= digits, s.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(s)
    }

    /// A name as the language spells one: a letter or `_`, then letters, digits and `_`.
    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }
}
