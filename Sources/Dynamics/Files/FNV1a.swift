/// FNV-1a, 64 bits: a checksum that catches damaged or cut files (not an adversary: anyone can
/// recompute it). h ← (h xor byte) · 0x100000001b3 mod 2^64, starting from 0xcbf29ce484222325;
/// feeding bytes in pieces gives the same value as feeding them at once.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var h = value
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        value = h
    }

    public mutating func add(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }

    /// The checksum of `bytes`.
    public static func of<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var h = FNV1a()
        h.add(bytes)
        return h.value
    }
}
