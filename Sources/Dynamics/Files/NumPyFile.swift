import Foundation

/// NumPy's own file formats, written and read without NumPy: `.npy` (one array: a magic
/// string, a header dictionary, the raw little-endian data) and `.npz` (a zip archive of
/// `.npy` entries, stored uncompressed as `np.savez` writes them). `np.load` reads what
/// `encode` and `archive` write with no options (no pickles).
public enum NumPyFile {
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// One array's values, in C (row-major) order.
    public enum Values: Sendable, Equatable {
        case float64([Double])
        case int64([Int])
        case bool([Bool])
        /// Fixed-width Unicode strings (NumPy's `<U`): each at most `width` characters.
        case unicode([String], width: Int)

        var count: Int {
            switch self {
            case .float64(let v): return v.count
            case .int64(let v): return v.count
            case .bool(let v): return v.count
            case .unicode(let v, _): return v.count
            }
        }
    }

    public struct Array: Sendable, Equatable {
        public var shape: [Int]
        public var values: Values
        public init(shape: [Int], values: Values) { (self.shape, self.values) = (shape, values) }
    }

    static let magic: [UInt8] = [0x93] + Swift.Array("NUMPY".utf8)

    public static func looksLikeArray(_ bytes: Data) -> Bool { bytes.starts(with: magic) }
    public static func looksLikeArchive(_ bytes: Data) -> Bool { bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    // MARK: .npy

    /// The array as a version-1.0 `.npy` file (the header padded so the data starts on a
    /// 64-byte boundary, as NumPy writes it).
    public static func encode(_ a: Array) -> Data {
        precondition(a.shape.reduce(1, *) == a.values.count, "shape \(a.shape) does not hold \(a.values.count) values")
        let descr: String
        var body = Data()
        switch a.values {
        case .float64(let v):
            descr = "<f8"
            body.reserveCapacity(8 * v.count)
            for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
        case .int64(let v):
            descr = "<i8"
            for x in v { withUnsafeBytes(of: Int64(x).littleEndian) { body.append(contentsOf: $0) } }
        case .bool(let v):
            descr = "|b1"
            body.append(contentsOf: v.map { $0 ? 1 : 0 })
        case .unicode(let v, let width):
            descr = "<U\(width)"
            for s in v {
                let scalars = Swift.Array(s.unicodeScalars.prefix(width))
                for k in 0..<width {
                    let code = k < scalars.count ? scalars[k].value : 0
                    withUnsafeBytes(of: code.littleEndian) { body.append(contentsOf: $0) }
                }
            }
        }
        let shape = a.shape.isEmpty ? "()" : a.shape.count == 1 ? "(\(a.shape[0]),)" : "(" + a.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        let total = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: header.utf8)
        data.append(body)
        return data
    }

    /// The array in a `.npy` file; `name` is how errors call it. Reads the little- and
    /// big-endian floats and integers of 4 and 8 bytes (as float64 or int64), booleans and
    /// Unicode strings, in C or Fortran order; anything else (objects, pickles) is refused.
    public static func decode(_ bytes: Data, name: String) throws -> Array {
        let b = [UInt8](bytes)
        guard b.starts(with: magic) else { throw FormatError("\(name) is not a .npy array (it does not start with \\x93NUMPY)") }
        guard b.count >= 10 else { throw FormatError("\(name) is cut off inside its header (\(b.count) bytes)") }
        let major = b[6]
        let headerLength: Int, start: Int
        switch major {
        case 1: headerLength = Int(b[8]) | Int(b[9]) << 8; start = 10
        case 2, 3:
            guard b.count >= 12 else { throw FormatError("\(name) is cut off inside its header (\(b.count) bytes)") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; start = 12
        default: throw FormatError("\(name) is .npy format version \(major).\(b[7]), which is not one of 1, 2, 3")
        }
        guard b.count >= start + headerLength else { throw FormatError("\(name) is cut off inside its header (it says \(headerLength) bytes)") }
        guard let header = String(bytes: b[start..<(start + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw FormatError("\(name)'s header is not text")
        }
        func field(_ key: String) throws -> String {
            guard let r = header.range(of: "'\(key)':") else { throw FormatError("\(name)'s header has no '\(key)' (it is \(header.trimmingCharacters(in: .whitespacesAndNewlines).prefix(120)))") }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let descrField = try field("descr")
        guard descrField.first == "'", let close = descrField.dropFirst().firstIndex(of: "'") else {
            throw FormatError("\(name) holds a structured array (descr \(descrField.prefix(40))); save plain arrays")
        }
        let descr = String(descrField[descrField.index(after: descrField.startIndex)..<close])
        let fortran = try field("fortran_order").hasPrefix("True")
        let shapeField = try field("shape")
        guard shapeField.first == "(", let end = shapeField.firstIndex(of: ")") else { throw FormatError("\(name)'s header has a malformed shape") }
        var shape: [Int] = []
        for part in shapeField[shapeField.index(after: shapeField.startIndex)..<end].split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let n = Int(t), n >= 0 else { throw FormatError("\(name)'s shape has '\(t)', not a size") }
            shape.append(n)
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, n in
            let (p, o) = acc.0.multipliedReportingOverflow(by: n); return (p, acc.1 || o)
        }
        guard !overflow, count <= 1 << 40 else { throw FormatError("\(name)'s shape \(shape) is absurdly large") }
        let data = b[(start + headerLength)...]
        guard descr.count >= 2, let kind = descr.dropFirst().first, let size = Int(descr.dropFirst(2)) else {
            throw FormatError("\(name) has dtype '\(descr)', which is not a plain number, boolean or string type")
        }
        let order = descr.first!
        guard "<>|=".contains(order) else { throw FormatError("\(name) has dtype '\(descr)' with byte order '\(order)'") }
        let bigEndian = order == ">"
        // Sizes that exist: 1, 2, 4 or 8 bytes for numbers, 1 to 2^30 characters for strings (a
        // large dataset's metadata is one long string; the data must still hold it, below).
        guard kind == "U" ? (1...(1 << 30)).contains(size) : [1, 2, 4, 8].contains(size) else {
            throw FormatError("\(name) has dtype '\(descr)', whose item size \(size) is not one NumPy writes")
        }
        let itemSize = kind == "U" ? 4 * size : size
        let (expected, tooLarge) = count.multipliedReportingOverflow(by: itemSize)
        guard !tooLarge, data.count == expected else {
            throw FormatError("\(name) should hold \(count) values of \(itemSize) bytes for shape \(shape), but has \(data.count) bytes of data (cut off or padded)")
        }
        func word(_ k: Int, _ n: Int) -> UInt64 {
            var w: UInt64 = 0
            let base = data.startIndex + k * n
            for j in 0..<n { w |= UInt64(data[base + (bigEndian ? n - 1 - j : j)]) << (8 * j) }
            return w
        }
        var values: Values
        switch (kind, size) {
        case ("f", 8): values = .float64((0..<count).map { Double(bitPattern: word($0, 8)) })
        case ("f", 4): values = .float64((0..<count).map { Double(Float(bitPattern: UInt32(word($0, 4)))) })
        case ("i", 8): values = .int64((0..<count).map { Int(Int64(bitPattern: word($0, 8))) })
        case ("i", 4): values = .int64((0..<count).map { Int(Int32(bitPattern: UInt32(word($0, 4)))) })
        case ("b", 1): values = .bool((0..<count).map { data[data.startIndex + $0] != 0 })
        case ("U", _):
            values = .unicode((0..<count).map { k in
                var s = String.UnicodeScalarView()
                for j in 0..<size {
                    let code = UInt32(truncatingIfNeeded: word(k * size + j, 4))
                    if code == 0 { break }
                    if let u = Unicode.Scalar(code) { s.append(u) }
                }
                return String(s)
            }, width: size)
        case ("O", _): throw FormatError("\(name) holds Python objects (dtype 'O'), which need pickle; Noether reads numbers, booleans and strings only")
        default: throw FormatError("\(name) has dtype '\(descr)'; Noether reads float64/32, int64/32, booleans and strings")
        }
        if fortran && shape.count == 2 { values = transposed(values, rows: shape[1], columns: shape[0]) }
        else if fortran && shape.count > 2 { throw FormatError("\(name) is a \(shape.count)-dimensional array in Fortran order; save it in C order") }
        return Array(shape: shape, values: values)
    }

    /// Column-major rows × columns storage as row-major (the transpose of a rows × columns array).
    static func transposed(_ v: Values, rows: Int, columns: Int) -> Values {
        func t<T>(_ a: [T]) -> [T] { (0..<(rows * columns)).map { k in a[(k % rows) * columns + k / rows] } }
        switch v {
        case .float64(let a): return .float64(t(a))
        case .int64(let a): return .int64(t(a))
        case .bool(let a): return .bool(t(a))
        case .unicode(let a, let w): return .unicode(t(a), width: w)
        }
    }

    // MARK: .npz

    /// A zip archive of the arrays, each stored (not compressed) as `NAME.npy`, as `np.savez` writes.
    public static func archive(_ arrays: [(name: String, array: Array)]) throws -> Data {
        var out = Data(), central = Data()
        func le16(_ v: Int, into d: inout Data) { d.append(contentsOf: [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)]) }
        func le32(_ v: UInt32, into d: inout Data) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        for (name, array) in arrays {
            let file = Swift.Array((name + ".npy").utf8), body = encode(array), crc = CRC32.of(body)
            guard out.count + body.count < Int(UInt32.max) - (1 << 20) else {
                throw FormatError("the arrays take \(out.count + body.count) bytes, past the 4 GB a zip archive without zip64 holds; save fewer rows")
            }
            let offset = UInt32(out.count)
            // Local header: version 2.0, no flags, stored, a fixed date (1980-01-01) so files are reproducible.
            le32(0x0403_4B50, into: &out); le16(20, into: &out); le16(0, into: &out); le16(0, into: &out)
            le16(0, into: &out); le16(0x21, into: &out)
            le32(crc, into: &out); le32(UInt32(body.count), into: &out); le32(UInt32(body.count), into: &out)
            le16(file.count, into: &out); le16(0, into: &out)
            out.append(contentsOf: file); out.append(body)
            le32(0x0201_4B50, into: &central); le16(20, into: &central); le16(20, into: &central); le16(0, into: &central); le16(0, into: &central)
            le16(0, into: &central); le16(0x21, into: &central)
            le32(crc, into: &central); le32(UInt32(body.count), into: &central); le32(UInt32(body.count), into: &central)
            le16(file.count, into: &central); le16(0, into: &central); le16(0, into: &central); le16(0, into: &central); le16(0, into: &central)
            le32(0o100644 << 16, into: &central); le32(offset, into: &central)
            central.append(contentsOf: file)
        }
        let start = UInt32(out.count)
        out.append(central)
        le32(0x0605_4B50, into: &out); le16(0, into: &out); le16(0, into: &out)
        le16(arrays.count, into: &out); le16(arrays.count, into: &out)
        le32(UInt32(central.count), into: &out); le32(start, into: &out); le16(0, into: &out)
        return out
    }

    /// The `.npy` entries of an `.npz` archive, by name without `.npy`, each checked against
    /// its CRC-32; `name` is how errors call the file.
    public static func arrays(inArchive bytes: Data, name: String) throws -> [String: Array] {
        let b = [UInt8](bytes)
        func u16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        // The end-of-central-directory record: 22 bytes, then a comment of at most 65535.
        var eocd = -1
        if b.count >= 22 {
            for i in stride(from: b.count - 22, through: max(0, b.count - 22 - 65535), by: -1) where u32(i) == 0x0605_4B50 { eocd = i; break }
        }
        guard eocd >= 0 else { throw FormatError("\(name) is not a complete .npz (zip) archive: its end record is missing (cut off?)") }
        let entries = u16(eocd + 10), directorySize = u32(eocd + 12), directoryStart = u32(eocd + 16)
        guard directoryStart + directorySize <= eocd else { throw FormatError("\(name): the zip directory points past the end of the file (cut off or corrupt)") }
        var result: [String: Array] = [:]
        var p = directoryStart
        for _ in 0..<entries {
            guard p + 46 <= eocd, u32(p) == 0x0201_4B50 else { throw FormatError("\(name): the zip directory is corrupt") }
            let method = u16(p + 10), crc = UInt32(u32(p + 16)), compressed = u32(p + 20), size = u32(p + 24)
            let nameLength = u16(p + 28), extra = u16(p + 30), comment = u16(p + 32), offset = u32(p + 42)
            guard p + 46 + nameLength <= eocd else { throw FormatError("\(name): the zip directory is corrupt") }
            let entry = String(decoding: b[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            p += 46 + nameLength + extra + comment
            guard compressed != 0xFFFF_FFFF, size != 0xFFFF_FFFF else { throw FormatError("\(name): entry '\(entry)' is a zip64 entry (over 4 GB), which Noether does not read") }
            guard method == 0 else {
                throw FormatError("\(name): entry '\(entry)' is compressed (zip method \(method), as np.savez_compressed writes); Noether reads archives written by np.savez")
            }
            guard offset + 30 <= b.count, u32(offset) == 0x0403_4B50 else { throw FormatError("\(name): entry '\(entry)' has no local header where the directory says (corrupt)") }
            let localName = offset + 30 + u16(offset + 26) <= b.count ? String(decoding: b[(offset + 30)..<(offset + 30 + u16(offset + 26))], as: UTF8.self) : ""
            guard localName == entry, u16(offset + 8) == method else {
                throw FormatError("\(name): entry '\(entry)' disagrees with its local header ('\(localName)', method \(u16(offset + 8))): the file is corrupt")
            }
            let dataStart = offset + 30 + u16(offset + 26) + u16(offset + 28)
            guard dataStart + size <= b.count else { throw FormatError("\(name): entry '\(entry)' is cut off (\(size) bytes promised)") }
            let body = Data(b[dataStart..<(dataStart + size)])
            guard CRC32.of(body) == crc else { throw FormatError("\(name): entry '\(entry)' fails its CRC-32 check (the file is corrupt)") }
            guard entry.hasSuffix(".npy") else { continue }
            let key = String(entry.dropLast(4))
            result[key] = try decode(body, name: "\(name)'s '\(key)'")
        }
        return result
    }
}

/// The CRC-32 of zip (and gzip, PNG): polynomial 0xEDB88320, reflected.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func of(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
