import Foundation

/// A new private folder (mode 0700, a fresh name from `mkdtemp`) in the system's temporary
/// directory, for work files that the caller removes when done.
public enum TemporaryFolder {
    public static func create(_ prefix: String) throws -> URL {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let made = bytes.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FileError("cannot create a temporary folder in '\(FileManager.default.temporaryDirectory.path)': \(FileError.reason)")
        }
        return URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }
}
