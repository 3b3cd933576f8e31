/// What a line source gives the loop: a line, Ctrl-C at the prompt, or the end of input.
public enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C while the line was being typed: the line is dropped and the prompt comes again.
    case interrupted
    case end
}

/// Where the loop's lines come from: the terminal (`LineReader`), or a script in tests.
public protocol LineSource {
    mutating func read(prompt: String) -> LineInput
}

/// The read-evaluate-print loop: runs each line in `interpreter` and prints its outcomes until
/// the input ends. Never exits on an error or an interrupt: Ctrl-C during a statement stops
/// that statement (`Interpreter` reports it and keeps the session), and at the prompt it drops
/// the line being typed, as shells do.
public func readEvalPrintLoop<Source: LineSource>(_ interpreter: Interpreter, _ source: inout Source,
                                                  prompt: String = "> ", print: (String) -> Void) {
    while true {
        switch source.read(prompt: prompt) {
        case .end: return
        case .interrupted: continue
        case .line(let line):
            for outcome in interpreter.execute(line) { outcome.lines.forEach(print) }
        }
    }
}
