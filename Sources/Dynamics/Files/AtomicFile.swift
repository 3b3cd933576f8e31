import Foundation

/// Writes a whole file so that a reader sees either the old contents or the new, never a mix,
/// and so that a failure leaves the old file as it was.
///
/// The bytes go to a new file in the target's directory, are flushed to disk, and the new file
/// is renamed over the target (a rename within a directory is atomic). What that replaces is
/// decided first:
/// - a symbolic link is followed (through chains of links), and its target is written, so the
///   link stays a link;
/// - an existing regular file keeps its permission bits (a 0600 file stays 0600) and, where the
///   process may, its owner and group; a new file gets 0666 less the umask, as `open` gives;
/// - a path that exists but is not a regular file (a directory, FIFO, device or socket) is
///   refused: nothing is opened and nothing is replaced.
///
/// Not preserved: other hard links to the old file keep the old contents (the name is given a
/// new file), as with any atomic replacement; extended attributes and ACLs.
public enum AtomicFile {
    /// Writes `data` to `path` (see the type's description).
    public static func write(_ data: Data, to path: String) throws {
        let destination = try checkDestination(path)
        var info = stat()
        let existing: stat? = stat(destination.target, &info) == 0 ? info : nil
        let temporary = destination.target + ".tmp-\(getpid())-\(counter.next())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, existing == nil ? 0o666 : 0o600)
        guard fd >= 0 else {
            throw FileError("cannot write '\(path)': \(FileError.reason) (is the directory there and writable?)")
        }
        var closed = false
        defer { if !closed { close(fd) } }
        do {
            if let old = existing {
                if old.st_uid != geteuid() || old.st_gid != getegid() { _ = fchown(fd, old.st_uid, old.st_gid) }
                guard fchmod(fd, old.st_mode & 0o7777) == 0 else { throw FileError("cannot write '\(path)': \(FileError.reason)") }
            }
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw FileError("cannot write '\(path)': \(FileError.reason)")
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw FileError("cannot write '\(path)': \(FileError.reason)") }
            closed = true
            guard close(fd) == 0 else { throw FileError("cannot write '\(path)': \(FileError.reason)") }
            guard rename(temporary, destination.target) == 0 else { throw FileError("cannot write '\(path)': \(FileError.reason)") }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Where a write to `path` would go, after following symbolic links.
    public struct Destination: Sendable {
        /// The path that will be replaced (the final target of any links).
        public var target: String
        /// Whether a regular file is there now.
        public var exists: Bool
    }

    /// Checks, without writing, that `path` can be written: follows links and refuses what is
    /// not a regular file. Call it before long work whose result goes to `path`.
    @discardableResult
    public static func checkDestination(_ path: String) throws -> Destination {
        guard !path.isEmpty else { throw FileError("cannot write '': the file name is empty") }
        var target = path, hops = 0
        var info = stat()
        while lstat(target, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            hops += 1
            guard hops <= 40, let link = try? FileManager.default.destinationOfSymbolicLink(atPath: target) else {
                throw FileError("cannot write '\(path)': its symbolic links do not end (a loop?)")
            }
            target = link.hasPrefix("/") ? link : (target as NSString).deletingLastPathComponent.appendingPathComponentIfRelative(link)
        }
        if lstat(target, &info) == 0 {
            guard FileError.isRegular(info.st_mode) else {
                let shown = target == path ? "'\(path)'" : "'\(path)' (a link to '\(target)')"
                throw FileError("cannot write \(shown): it is \(FileError.kindName(info.st_mode)), not a regular file; only regular files are written")
            }
            return Destination(target: target, exists: true)
        }
        guard errno == ENOENT else { throw FileError("cannot write '\(path)': \(FileError.reason)") }
        if path.hasSuffix("/") { throw FileError("cannot write '\(path)': a file name cannot end in '/'") }
        return Destination(target: target, exists: false)
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
    static let counter = Counter()
}

extension String {
    /// `self` as a directory joined with a relative path ("" is the current directory).
    fileprivate func appendingPathComponentIfRelative(_ relative: String) -> String {
        isEmpty ? relative : (self as NSString).appendingPathComponent(relative)
    }
}
