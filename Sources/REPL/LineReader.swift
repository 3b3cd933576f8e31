import CEditLine
import Foundation

/// Reads input lines: libedit with editing and history on a terminal, plain lines otherwise.
public struct LineReader {
    public let interactive: Bool
    let historyPath: String?

    public init() {
        interactive = isatty(STDIN_FILENO) != 0
        if interactive, let home = ProcessInfo.processInfo.environment["HOME"] {
            historyPath = home + "/.noether_history"
            _ = read_history(historyPath)
        } else {
            historyPath = nil
        }
    }

    /// The next line without its newline, or nil at end of input.
    public func next(prompt: String) -> String? {
        guard interactive else { return readLine() }
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.trimmingCharacters(in: .whitespaces).isEmpty {
            add_history(raw)
            if let historyPath { _ = write_history(historyPath) }
        }
        return line
    }
}
