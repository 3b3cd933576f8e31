import Foundation

/// A model's parameters in a file: `NOETHER-CHECKPOINT 1`, a header line (kind, sizes,
/// activation, parameter shapes), the parameters as little-endian doubles, and an FNV-1a
/// checksum of everything before it. Written to a temporary name and renamed; loading checks
/// the magic, the header against the model, the length and the checksum.
public enum Checkpoint {
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    static let magic = "NOETHER-CHECKPOINT 1\n"

    static func header(_ model: DynamicsModel) -> String {
        let shapes = model.parameters.map { $0.shape.map(String.init).joined(separator: "x") }.joined(separator: ",")
        return "kind=\(model.kind.rawValue) sizes=\(model.network.sizes.map(String.init).joined(separator: ",")) activation=\(model.network.activation.rawValue) shapes=\(shapes)\n"
    }

    static func fnv1a(_ bytes: Data) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    public static func save(_ model: DynamicsModel, to path: String) throws {
        var data = Data((magic + header(model)).utf8)
        for p in model.parameters { for x in p.value.storage { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } } }
        let sum = fnv1a(data)
        withUnsafeBytes(of: sum.littleEndian) { data.append(contentsOf: $0) }
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw FormatError(message: "cannot write '\(path)' (is the directory there and writable?)")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw FormatError(message: "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// Loads parameters into a model of the same architecture.
    public static func load(_ path: String, into model: DynamicsModel) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(message: "cannot read '\(path)' (no such file, or not readable)")
        }
        let expectedHeader = Data((magic + header(model)).utf8)
        guard data.starts(with: Data(magic.utf8)) else { throw FormatError(message: "'\(path)' is not a Noether checkpoint") }
        guard data.starts(with: expectedHeader) else {
            let line = String(decoding: data.dropFirst(magic.utf8.count).prefix(200).prefix { $0 != 10 }, as: UTF8.self)
            throw FormatError(message: "'\(path)' holds a different model (\(line)); this one is \(header(model).dropLast())")
        }
        let count = model.parameters.reduce(0) { $0 + $1.value.count }
        guard data.count == expectedHeader.count + 8 * count + 8 else {
            throw FormatError(message: "'\(path)' has \(data.count) bytes, \(expectedHeader.count + 8 * count + 8) expected: truncated or damaged")
        }
        let body = data.prefix(data.count - 8)
        let stored = data.suffix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        guard UInt64(littleEndian: stored) == fnv1a(body) else { throw FormatError(message: "'\(path)' fails its checksum: the file is damaged") }
        var offset = expectedHeader.count
        for p in model.parameters {
            var values = [Double](repeating: 0, count: p.value.count)
            for i in values.indices {
                let bits = data[(data.startIndex + offset)..<(data.startIndex + offset + 8)].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                values[i] = Double(bitPattern: UInt64(littleEndian: bits))
                offset += 8
            }
            p.value = Tensor(shape: p.shape, storage: values)
        }
    }
}
