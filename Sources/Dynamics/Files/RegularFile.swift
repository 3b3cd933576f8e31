import Foundation
import Symbolic

/// Reads whole files that must be regular files.
///
/// The kind is checked on the open descriptor, and the file is opened with `O_NONBLOCK`: opening
/// a FIFO that has no writer returns at once instead of waiting for one, so a FIFO, a device
/// (`/dev/zero` never ends), a directory or a socket is refused before a byte is read, and there
/// is no window between a check and the open. Symbolic links are followed.
public enum RegularFile {
    /// The largest file read whole (datasets, checkpoints, notebooks): 4 GiB. A larger one is
    /// refused from its size before anything is allocated (a sparse 1 TB file trapped).
    public static let maximumBytes: Int64 = 4 << 30

    /// The bytes of the regular file at `path`.
    public static func read(_ path: String) throws -> Data {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == EACCES || errno == ENOTDIR {
                throw FileError("cannot read '\(path)' (no such file, or not readable)")
            }
            throw FileError("cannot read '\(path)': \(FileError.reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError("cannot read '\(path)': \(FileError.reason)") }
        guard FileError.isRegular(info.st_mode) else {
            throw FileError("cannot read '\(path)': it is \(FileError.kindName(info.st_mode)), not a regular file")
        }
        guard Int64(info.st_size) <= maximumBytes else {
            throw FileError("cannot read '\(path)': it has \(info.st_size) bytes, more than the \(maximumBytes >> 30) GiB a file may have to be read whole")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var data = Data()
        data.reserveCapacity(Int(max(0, info.st_size)))
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            try Interrupt.check()
            // A file that grows while it is read is held to the same bound.
            guard Int64(data.count) + Int64(n) <= maximumBytes else {
                throw FileError("cannot read '\(path)': it grew past the \(maximumBytes >> 30) GiB a file may have to be read whole")
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError("cannot read '\(path)': \(FileError.reason)")
            }
            data.append(contentsOf: buffer[0..<n])
        }
        return data
    }
}
