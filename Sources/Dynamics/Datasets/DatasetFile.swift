import Foundation

/// The dataset file format: CSV with a header, readable by NumPy and pandas.
///
///     # noether dataset 1
///     # system: twobody; sampler: scnn; seed: 1; noise: 0; parameters: g=1 m1=1 m2=1
///     trajectory,split,t,qx1,...,py2,d_qx1,...,d_py2
///     0,train,0,0.97,...
///
/// `np.genfromtxt(path, delimiter=",", skip_header=2, names=True, dtype=None, encoding=None)`
/// reads it (tested), as does `pandas.read_csv(path, comment="#")`. Numbers are written with 17 significant
/// digits, so they read back exactly. Files are written to a temporary name and renamed.
public enum DatasetFile {
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    static let magic = "# noether dataset 1"

    public static func write(_ data: Dataset, to path: String) throws {
        var text = magic + "\n"
        let params = data.parameters.keys.sorted().map { "\($0)=\(repr(data.parameters[$0]!))" }.joined(separator: " ")
        text += "# system: \(data.system); sampler: \(data.sampler); seed: \(data.seed); noise: \(repr(data.noise)); parameters: \(params)\n"
        text += (["trajectory", "split", "t"] + data.names + data.names.map { "d_" + $0 }).joined(separator: ",") + "\n"
        let d = data.dimension
        for k in 0..<data.count {
            var row = [String(data.trajectoryIDs[k]), data.isTest(k) ? "test" : "train", repr(data.times[k])]
            for i in 0..<d { row.append(repr(data.states[k * d + i])) }
            for i in 0..<d { row.append(repr(data.derivatives[k * d + i])) }
            text += row.joined(separator: ",") + "\n"
        }
        try atomicWrite(text, to: path)
    }

    static func repr(_ x: Double) -> String { String(format: "%.17g", x) }

    /// Writes to `path.tmp-PID` and renames, so a crash never leaves a half-written file.
    static func atomicWrite(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw FormatError(message: "cannot write '\(path)' (is the directory there and writable?)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw FormatError(message: "cannot write '\(path)': \(reason)")
        }
    }

    /// Reads a dataset file, checking the magic line, the header and every row's shape.
    public static func read(_ path: String) throws -> Dataset {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw FormatError(message: "cannot read '\(path)' (no such file, or not readable)")
        }
        guard let text = String(data: bytes, encoding: .utf8) else { throw FormatError(message: "'\(path)' is not UTF-8 text, so not a dataset") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first.map(String.init) == magic else {
            throw FormatError(message: "'\(path)' is not a Noether dataset (the first line is not '\(magic)')")
        }
        guard lines.count >= 3 else { throw FormatError(message: "'\(path)' ends before its header (truncated?)") }
        var data = Dataset(system: "", names: [], parameters: [:], sampler: "", seed: 0, noise: 0, states: [], derivatives: [],
                           times: [], trajectoryIDs: [], isTestTrajectory: [])
        for field in lines[1].dropFirst(2).split(separator: ";") {
            let parts = field.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "system": data.system = parts[1]
            case "sampler": data.sampler = parts[1]
            case "seed": data.seed = UInt64(parts[1]) ?? 0
            case "noise": data.noise = Double(parts[1]) ?? 0
            case "parameters":
                for p in parts[1].split(separator: " ") {
                    let kv = p.split(separator: "=")
                    if kv.count == 2, let v = Double(kv[1]) { data.parameters[String(kv[0])] = v }
                }
            default: break
            }
        }
        let header = lines[2].split(separator: ",").map(String.init)
        guard header.count >= 5, header[0] == "trajectory", header[1] == "split", header[2] == "t", (header.count - 3) % 2 == 0 else {
            throw FormatError(message: "'\(path)' line 3: the header must be trajectory,split,t, the state names, then d_ and the names")
        }
        let d = (header.count - 3) / 2
        data.names = Array(header[3..<(3 + d)])
        guard header[(3 + d)...].map({ String($0) }) == data.names.map({ "d_" + $0 }) else {
            throw FormatError(message: "'\(path)' line 3: the derivative columns must be d_ followed by the state names, in order")
        }
        var splits: [Int: Bool] = [:]
        guard text.hasSuffix("\n") else { throw FormatError(message: "'\(path)' does not end with a newline: the last row is truncated") }
        for (index, line) in lines.enumerated().dropFirst(3) where !line.isEmpty {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw FormatError(message: "'\(path)' line \(index + 1): \(cells.count) columns, the header has \(header.count)")
            }
            guard let id = Int(cells[0]), id >= 0 else { throw FormatError(message: "'\(path)' line \(index + 1): the trajectory id '\(cells[0])' is not a non-negative integer") }
            guard cells[1] == "train" || cells[1] == "test" else { throw FormatError(message: "'\(path)' line \(index + 1): split must be train or test, not '\(cells[1])'") }
            if let known = splits[id], known != (cells[1] == "test") {
                throw FormatError(message: "'\(path)' line \(index + 1): trajectory \(id) is in both the train and the test split")
            }
            splits[id] = cells[1] == "test"
            var numbers: [Double] = []
            for (c, cell) in cells.dropFirst(2).enumerated() {
                guard let v = Double(cell), v.isFinite else {
                    throw FormatError(message: "'\(path)' line \(index + 1), column \(header[c + 2]): '\(cell)' is not a finite number")
                }
                numbers.append(v)
            }
            data.trajectoryIDs.append(id)
            data.times.append(numbers[0])
            data.states += numbers[1...d]
            data.derivatives += numbers[(1 + d)...]
        }
        let trajectories = (splits.keys.max() ?? -1) + 1
        data.isTestTrajectory = (0..<trajectories).map { splits[$0] ?? false }
        return data
    }
}
