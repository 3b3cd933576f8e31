import CEditLine
import Foundation
import Symbolic

/// Reads input lines: libedit with editing and history on a terminal, plain lines otherwise.
public struct LineReader: LineSource {
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

    /// Makes Ctrl-C (SIGINT) request an interrupt of the running statement instead of ending
    /// the process (see `Interrupt`).
    public static func installInterruptHandler() {
        Interrupt.installSignalHandler()
    }

    /// The next line without its newline, or nil at end of input (an interrupted prompt is
    /// read again).
    public mutating func next(prompt: String) -> String? {
        while true {
            switch read(prompt: prompt) {
            case .line(let line): return line
            case .interrupted: continue
            case .end: return nil
            }
        }
    }

    /// The next line; `.interrupted` when Ctrl-C came while it was being typed on a terminal.
    public mutating func read(prompt: String) -> LineInput {
        guard interactive else { return readLine().map(LineInput.line) ?? .end }
        let raw = readline(prompt)
        // Ctrl-C at the prompt: libedit gives up the line (nil, or what was typed so far).
        if Interrupt.isRequested {
            Interrupt.endStatement()
            if let raw { free(raw) }
            Swift.print("^C")
            return .interrupted
        }
        guard let raw else { return .end }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.trimmingCharacters(in: .whitespaces).isEmpty {
            add_history(raw)
            if let historyPath { _ = write_history(historyPath) }
        }
        return .line(line)
    }
}
