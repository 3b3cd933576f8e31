import Foundation

/// Why a file could not be read or written: what, which path, and what to do.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }

    /// A piece of a file's text fit to quote in a message: control characters escaped (a file's
    /// bytes must not reach a terminal raw) and clipped to `limit` characters.
    public static func quoted(_ text: some StringProtocol, limit: Int = 40) -> String {
        var out = ""
        for (k, c) in text.unicodeScalars.enumerated() {
            if k == limit { out += "..."; break }
            switch c {
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case _ where c.value < 0x20 || (0x7F..<0xA0).contains(c.value): out += String(format: "\\x%02X", c.value)
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The kind of a non-regular file, from `st_mode`, for messages ("a FIFO (named pipe)").
    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    static func isRegular(_ mode: mode_t) -> Bool { mode & S_IFMT == S_IFREG }

    static var reason: String { String(cString: strerror(errno)) }
}
