import Foundation
import Symbolic
import Dynamics

/// `noether kernel serve`: one session driven by JSON lines, for the Jupyter kernel (a thin
/// Python wrapper over ipykernel; see `noether kernel install`).
///
/// Requests, one JSON object per line on standard input, each with an integer `id` that every
/// reply to it repeats:
/// - `{"op": "execute", "code": "..."}` runs the code as the REPL does;
/// - `{"op": "complete", "code": "...", "cursor": k}` and `{"op": "inspect", ...}` (k counts
///   Unicode scalars, as Jupyter's cursor_pos does).
///
/// Replies, one JSON object per line, each with `"event"`:
/// - `output`: a statement's `lines`, `failed`, and, where it has them, `latex` and `html`
///   (`interrupted` when the stop button or SIGINT stopped it);
/// - `image`: a PNG the statement wrote (`path`, and the file as base64 `png`);
/// - `progress`: a line of training progress, to show in place;
/// - `done`: the request's end; `status` is `ok`, `error` or `interrupted` for an execute,
///   with `matches`/`start`/`end` for a completion and `text` (or null) for an inspection.
///
/// The replies go to the standard output the process started with; anything else written
/// to standard output while it runs goes to standard error, so no stray print can break the
/// protocol. SIGINT stops the running statement (P5's interrupt) and never the process.
public final class KernelServer {
    let interpreter: Interpreter
    let replies: FileHandle
    let lock = NSLock()
    var current: Int?

    public init(interpreter: Interpreter = Interpreter()) {
        self.interpreter = interpreter
        interpreter.richOutput = true
        fflush(nil)
        let protocolDescriptor = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        replies = FileHandle(fileDescriptor: protocolDescriptor, closeOnDealloc: true)
    }

    /// Serves requests until standard input ends.
    public func run() {
        Interrupt.installSignalHandler(restartSystemCalls: true)
        send(["event": "ready", "version": 1])
        while let line = readLine(strippingNewline: true) {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            // A line that is not a request is answered without an id (never another request's).
            lock.lock()
            current = nil
            lock.unlock()
            guard let data = line.data(using: .utf8),
                  let request = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let op = request["op"] as? String else {
                send(["event": "done", "status": "error", "message": "not a request: \(line.prefix(80))"])
                continue
            }
            let code = request["code"] as? String ?? ""
            let cursor = request["cursor"] as? Int ?? code.unicodeScalars.count
            // Every reply carries the request's id, so a reader that gave up on a request (an
            // interrupted completion) can skip its late replies.
            lock.lock()
            current = request["id"] as? Int
            lock.unlock()
            switch op {
            case "execute": execute(code)
            case "complete":
                let c = interpreter.completions(code, cursor: cursor)
                send(["event": "done", "status": "ok", "matches": c.matches, "start": c.start, "end": c.end])
            case "inspect":
                send(["event": "done", "status": "ok", "text": interpreter.inspection(code, cursor: cursor) as Any? ?? NSNull()])
            default:
                send(["event": "done", "status": "error", "message": "unknown op '\(op)' (execute, complete, inspect)"])
            }
        }
    }

    func execute(_ code: String) {
        LiveOutput.image = { [weak self] path in
            var reply: [String: Any] = ["event": "image", "path": path]
            if let data = try? RegularFile.read(path) { reply["png"] = data.base64EncodedString() }
            self?.send(reply)
        }
        LiveOutput.progress = { [weak self] line in self?.send(["event": "progress", "text": line]) }
        defer { LiveOutput.image = nil; LiveOutput.progress = nil }
        let outcomes = interpreter.execute(code) { [weak self] outcome in
            var reply: [String: Any] = ["event": "output", "lines": outcome.lines, "failed": outcome.failed]
            if let latex = outcome.latex { reply["latex"] = latex }
            if let html = outcome.html { reply["html"] = html }
            if outcome.stoppedByUser { reply["interrupted"] = true }
            self?.send(reply)
        }
        fflush(nil)
        let status = outcomes.contains(where: \.stoppedByUser) ? "interrupted" : outcomes.contains(where: \.failed) ? "error" : "ok"
        send(["event": "done", "status": status])
    }

    func send(_ reply: [String: Any]) {
        lock.lock()
        defer { lock.unlock() }
        var reply = reply
        if let current { reply["id"] = current }
        guard var data = try? JSONSerialization.data(withJSONObject: reply, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        replies.write(data)
    }
}
