import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cooperative cancellation of the running statement, by Ctrl-C or by a time limit.
///
/// One process-wide flag, set asynchronously (by a SIGINT handler, which may only do
/// async-signal-safe work, or by a timer thread) and read by the long loops — polynomial
/// products, integrator steps, dataset generation, training steps — through `check()`, which
/// throws `Interrupted`. A loop that calls `check()` stops within one iteration of the request;
/// work between two checks is not interrupted, so a single huge step (one training step of a
/// very wide network) still finishes first. The flag is cleared when a statement starts
/// (`beginStatement`), so an interrupt never leaks into the next statement.
///
/// The flag is process-wide: one statement runs at a time (the REPL, `-e`, a notebook), and
/// interpreters on several threads at once would stop each other.
///
/// The flag is a relaxed atomic: a check is one load, cheap enough for every iteration of a
/// loop whose body does real work. Only the interrupt's arrival needs to be seen, not ordered
/// with other memory.
public enum Interrupt {
    /// Why a statement was stopped.
    public enum Reason: Int, Sendable {
        case userInterrupt = 1
        case timeout = 2
    }

    /// The statement's generation times 4, plus a `Reason`'s raw value when a stop was
    /// requested (0: run on). Generation and request share one atomic so that a timer armed for
    /// an earlier statement cannot fire into a later one: it sets its reason only by a
    /// compare-and-exchange from its own generation's "run on" value.
    static let flag = Atomic<Int>(0)
    /// Bumped by every `beginStatement` and `endStatement`.
    static let generation = Atomic<Int>(0)
    /// The time limit of the current statement in milliseconds (0: none), for the message.
    static let limitMilliseconds = Atomic<Int>(0)

    /// Whether a stop has been requested for the running statement (one relaxed load).
    @inline(__always)
    public static var isRequested: Bool { flag.load(ordering: .relaxed) & 3 != 0 }

    /// Throws `Interrupted` when the running statement has been asked to stop.
    @inline(__always)
    public static func check() throws {
        if flag.load(ordering: .relaxed) & 3 != 0 { throw pending() ?? Interrupted(reason: .userInterrupt, limit: nil) }
    }

    /// The error a stop request stands for, or nil when none is pending.
    public static func pending() -> Interrupted? {
        guard let reason = Reason(rawValue: flag.load(ordering: .relaxed) & 3) else { return nil }
        let ms = limitMilliseconds.load(ordering: .relaxed)
        return Interrupted(reason: reason, limit: reason == .timeout && ms > 0 ? Double(ms) / 1000 : nil)
    }

    /// Asks the running statement to stop. Async-signal-safe (lock-free atomics only); the
    /// first request of a statement wins.
    public static func request(_ reason: Reason) {
        var old = flag.load(ordering: .relaxed)
        while old & 3 == 0 {
            let (exchanged, seen) = flag.compareExchange(expected: old, desired: old | reason.rawValue, ordering: .relaxed)
            if exchanged { return }
            old = seen
        }
    }

    /// Starts a statement: clears any earlier request and, with a `timeout` in seconds, arms a
    /// timer that requests a stop when it runs out (`endStatement` or the next `beginStatement`
    /// disarms it).
    public static func beginStatement(timeout: Double? = nil) {
        let current = generation.add(1, ordering: .relaxed).newValue
        let running = (current & (Int.max >> 2)) << 2
        flag.store(running, ordering: .relaxed)
        guard let timeout, timeout > 0, timeout.isFinite else {
            limitMilliseconds.store(0, ordering: .relaxed)
            return
        }
        limitMilliseconds.store(Int(min(timeout, 1e9) * 1000), ordering: .relaxed)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(timeout, 1e9) * 1000))) {
            _ = flag.compareExchange(expected: running, desired: running | Reason.timeout.rawValue, ordering: .relaxed)
        }
    }

    /// Ends a statement: a timer still armed for it will not fire, and a request that came too
    /// late to stop it is dropped.
    public static func endStatement() {
        let next = generation.add(1, ordering: .relaxed).newValue
        flag.store((next & (Int.max >> 2)) << 2, ordering: .relaxed)
    }

    /// Installs a SIGINT handler that requests `.userInterrupt` instead of ending the process.
    /// With `restartSystemCalls`, a read blocked when Ctrl-C arrives resumes (a pipe or file
    /// being read); without, it fails with EINTR, which lets a line editor return to its caller
    /// so it can clear the line. Safe to call again (it replaces the handler).
    public static func installSignalHandler(restartSystemCalls: Bool = true) {
        _ = flag.load(ordering: .relaxed)  // initialise the global now, not inside the handler
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in Interrupt.request(.userInterrupt) }
        #else
        action.__sigaction_u.__sa_handler = { _ in Interrupt.request(.userInterrupt) }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = restartSystemCalls ? Int32(SA_RESTART) : 0
        sigaction(SIGINT, &action, nil)
    }
}

/// A statement stopped by Ctrl-C or by its time limit. The session keeps the state it had
/// before the statement.
public struct Interrupted: Error, Sendable, CustomStringConvertible {
    public var reason: Interrupt.Reason
    /// The time limit in seconds, for `.timeout`.
    public var limit: Double?

    public init(reason: Interrupt.Reason, limit: Double?) {
        self.reason = reason
        self.limit = limit
    }

    public var description: String {
        switch reason {
        case .userInterrupt:
            return "interrupted (Ctrl-C); the session is as it was before this statement"
        case .timeout:
            guard let limit else { return "stopped by the time limit (--timeout); the session is as it was before this statement" }
            let seconds = limit == limit.rounded() ? String(Int(limit)) : String(limit)
            return "stopped after \(seconds) s (--timeout); the session is as it was before this statement"
        }
    }
}
