import Foundation
import Symbolic

/// A dataset as a NumPy `.npz` archive: arrays `x` (rows × d states), `dx` (their time
/// derivatives), `t`, `trajectory` (ids), `split` ("train"/"test"), `label` when the rows have
/// class labels, and `metadata`, a JSON string with the state names and everything else the
/// CSV preamble records. `np.load("d.npz")` reads it with no options;
/// `json.loads(str(z["metadata"]))` gives the metadata. Configuration samples have no `dx`.
public enum DatasetArchive {
    static let format = "noether dataset 1"

    public static func encode(_ data: Dataset) throws -> Data {
        let n = data.count, d = data.dimension
        var arrays: [(name: String, array: NumPyFile.Array)] = [("x", .init(shape: [n, d], values: .float64(data.states)))]
        if !data.isSamples { arrays.append(("dx", .init(shape: [n, d], values: .float64(data.derivatives)))) }
        arrays += rowArrays(data)
        if let labels = data.labels { arrays.append(("label", .init(shape: [n], values: .int64(labels)))) }
        var metadata: [String: Any] = [
            "format": format, "system": data.system, "names": data.names, "sampler": data.sampler,
            "seed": String(data.seed), "noise": data.noise, "parameters": data.parameters,
            "test_trajectories": data.isTestTrajectory, "rows": n,
        ]
        if let h = data.hamiltonian { metadata["hamiltonian"] = h }
        if let s = data.source { metadata["source"] = s }
        arrays.append(("metadata", json(metadata)))
        return try NumPyFile.archive(arrays)
    }

    /// Each row's time, trajectory id and split ("train"/"test"), as a table's archive has them too.
    public static func rowArrays(_ data: Dataset) -> [(name: String, array: NumPyFile.Array)] {
        let n = data.count
        return [("t", .init(shape: [n], values: .float64(data.times))),
                ("trajectory", .init(shape: [n], values: .int64(data.trajectoryIDs))),
                ("split", .init(shape: [n], values: .unicode((0..<n).map { data.isTest($0) ? "test" : "train" }, width: 5)))]
    }

    /// A JSON object as one NumPy string (`json.loads(str(z["metadata"]))` reads it).
    public static func json(_ object: [String: Any]) -> NumPyFile.Array {
        let text = String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(), as: UTF8.self)
        return .init(shape: [], values: .unicode([text], width: max(1, text.unicodeScalars.count)))
    }

    public static func write(_ data: Dataset, to path: String) throws {
        try AtomicFile.write(try encode(data), to: path)
    }

    /// The dataset in an archive `encode` wrote (or one made the same way in NumPy). Every
    /// array's shape and type, the ids and the split are checked, and the metadata as the CSV
    /// reader checks its preamble and header (names, an even state dimension, noise, parameters,
    /// the Hamiltonian, class labels), so whatever reads here also saves as a CSV that reads.
    public static func decode(_ bytes: Data, path: String) throws -> Dataset {
        func failure(_ message: String) -> DatasetFile.FormatError { DatasetFile.FormatError(message: "'\(path)' " + message) }
        let arrays: [String: NumPyFile.Array]
        do { arrays = try NumPyFile.arrays(inArchive: bytes, name: "'\(path)'") } catch let e as NumPyFile.FormatError {
            throw DatasetFile.FormatError(message: e.message)
        }
        guard let meta = arrays["metadata"] else {
            throw failure("has no 'metadata' array, so it is not a dataset Noether saved (its arrays: \(arrays.keys.sorted().joined(separator: ", ")))")
        }
        guard case .unicode(let texts, _) = meta.values, texts.count == 1,
              let object = try? JSONSerialization.jsonObject(with: Data(texts[0].utf8)), let m = object as? [String: Any] else {
            throw failure("has a 'metadata' array that is not one JSON string")
        }
        guard m["format"] as? String == format else { throw failure("metadata: 'format' is not '\(format)'") }
        guard let names = m["names"] as? [String], !names.isEmpty, let system = m["system"] as? String, let sampler = m["sampler"] as? String,
              let tests = m["test_trajectories"] as? [Bool] else {
            throw failure("metadata lacks 'names', 'system', 'sampler' or 'test_trajectories'")
        }
        let samples = sampler == Dataset.samplesSampler
        guard !system.isEmpty else { throw failure("metadata: 'system' is empty") }
        // The columns the CSV would have, checked as the CSV reader checks its header.
        let header = samples ? ["sample", "split"] + (arrays["label"] == nil ? [] : ["label"]) + names
            : ["trajectory", "split", "t"] + names + names.map { "d_" + $0 }
        do { try DatasetFile.checkColumnNames(header) { DatasetFile.FormatError(message: "'\(path)' " + $0) } } catch let e as DatasetFile.FormatError {
            throw DatasetFile.FormatError(message: e.message.replacingOccurrences(of: "line 3", with: "metadata 'names'"))
        }
        guard samples || names.count % 2 == 0 else {
            throw failure("metadata 'names': \(names.count) state names; a phase-space state has an even number (coordinates q, then momenta p)")
        }
        func floats(_ key: String, _ shape: [Int]) throws -> [Double] {
            guard let a = arrays[key] else { throw failure("has no '\(key)' array") }
            guard a.shape == shape else { throw failure("'\(key)' has shape \(a.shape), not \(shape)") }
            guard case .float64(let v) = a.values else { throw failure("'\(key)' is not an array of floats") }
            guard v.allSatisfy(\.isFinite) else { throw failure("'\(key)' holds NaN or infinity at row \(v.firstIndex { !$0.isFinite }! / max(1, shape.dropFirst().reduce(1, *)))") }
            return v
        }
        guard let x = arrays["x"], x.shape.count == 2, x.shape[1] == names.count else {
            throw failure("needs 'x' of shape (rows, \(names.count)) for the names \(names.joined(separator: ", "))")
        }
        let n = x.shape[0], d = names.count
        var data = Dataset(system: system, names: names, parameters: [:], sampler: sampler, seed: 0, noise: 0, states: try floats("x", [n, d]),
                           derivatives: samples ? [] : try floats("dx", [n, d]), times: try floats("t", [n]), trajectoryIDs: [], isTestTrajectory: tests)
        if let rows = m["rows"] as? Int, rows != n { throw failure("has \(n) rows where its metadata records \(rows) (cut off?)") }
        guard let ids = arrays["trajectory"], ids.shape == [n], case .int64(let trajectoryIDs) = ids.values else {
            throw failure("needs 'trajectory', \(n) integer ids")
        }
        if let bad = trajectoryIDs.firstIndex(where: { $0 < 0 || $0 >= tests.count }) {
            throw failure("row \(bad): trajectory id \(trajectoryIDs[bad]) is outside 0..<\(tests.count) (the metadata's trajectories)")
        }
        data.trajectoryIDs = trajectoryIDs
        if let split = arrays["split"], case .unicode(let s, _) = split.values, split.shape == [n] {
            if let bad = (0..<n).first(where: { s[$0] != (tests[trajectoryIDs[$0]] ? "test" : "train") }) {
                throw failure("row \(bad): 'split' says \(s[bad]) but trajectory \(trajectoryIDs[bad]) is in the \(tests[trajectoryIDs[bad]] ? "test" : "train") set")
            }
        } else { throw failure("needs 'split', \(n) strings 'train' or 'test'") }
        if let labels = arrays["label"] {
            guard labels.shape == [n], case .int64(let l) = labels.values else { throw failure("'label' is not \(n) integers") }
            data.labels = l
        }
        var seen = [Bool](repeating: false, count: tests.count)
        for id in trajectoryIDs { seen[id] = true }
        if let bad = seen.firstIndex(of: false) {
            throw failure("trajectory \(bad) of the metadata's \(tests.count) has no rows")
        }
        if samples, trajectoryIDs != Array(0..<n) { throw failure("'trajectory' of samples must number the rows 0, 1, ... (each sample its own)") }
        if n == 0 { throw failure(samples ? "has no samples" : "has no rows") }
        if !samples, arrays["label"] != nil { throw failure("has class labels, which only configuration samples carry (sampler 'samples')") }
        if let labels = data.labels, let bad = labels.firstIndex(where: { !(0...1_000_000).contains($0) }) {
            throw failure("row \(bad): label \(labels[bad]) is not a class label (an integer from 0 to 10^6)")
        }
        guard let seedText = m["seed"] as? String, !seedText.isEmpty, seedText.utf8.allSatisfy({ (48...57).contains($0) }), let seed = UInt64(seedText) else {
            throw failure("metadata: 'seed' is not a non-negative integer below 2^64 (as a string)")
        }
        data.seed = seed
        guard let noise = m["noise"] as? Double, noise.isFinite, noise >= 0 else { throw failure("metadata: 'noise' is not a finite number >= 0") }
        data.noise = noise
        guard let parameters = m["parameters"] as? [String: Any] else { throw failure("metadata: 'parameters' is not an object of numbers") }
        for (k, v) in parameters {
            guard DatasetFile.isName(k), let value = v as? Double, value.isFinite else {
                throw failure("metadata: parameter '\(k)' is not a name with a finite number")
            }
            data.parameters[k] = value
        }
        if let h = m["hamiltonian"] {
            guard let text = h as? String, (try? Expr.parse(text)) != nil else { throw failure("metadata: 'hamiltonian' is not an expression") }
            data.hamiltonian = text
        }
        if let source = m["source"] {
            guard let text = source as? String else { throw failure("metadata: 'source' is not text") }
            data.source = text
        }
        return data
    }
}
