import Symbolic
import Dynamics

// The values of labelled options, read and checked in one place for every verb: a number, a
// whole number in a range (counts: steps, every, samples, trajectories, hidden, layers, batch,
// seed, ...), a positive number (step sizes, durations), or one word of a list. Each error
// names the option, the value given and what is allowed, at the value's place.
extension Evaluation {
    /// A finite number (`k: 1.5`, `t: 2*pi`).
    func numberOption(_ value: Syntax, _ label: String) throws -> Double {
        let v: Value
        v = try self.value(value)
        guard case .expr(let e) = v else {
            throw fail("'\(label):' expects a number, not \(v.kindName)", at: value.location)
        }
        guard let x = try? e.evaluate([:]) else {
            // A bare word that is no number (relu, banana; pi and defined constants are numbers).
            if case .name(let word, let at) = value {
                throw fail("'\(label):' expects a number, not the word '\(Diagnostic.escaped(word))'", at: at, width: word.count)
            }
            throw fail("'\(label):' expects a number, but \(Diagnostic.escaped(TextPrinter().print(e))) has no numeric value", at: value.location)
        }
        guard x.isFinite else { throw fail("'\(label):' expects a finite number, not \(OptionText.number(x))", at: value.location) }
        return x
    }

    /// A whole number in `range` (a count). 1.5, 1e300 and numbers outside the range are refused.
    func wholeOption(_ value: Syntax, _ label: String, in range: ClosedRange<Int>) throws -> Int {
        let x = try numberOption(value, label)
        // Int(exactly:) too: Double(Int.max) rounds up to 2^63, which would trap in Int(_:).
        guard x == x.rounded(), x >= Double(range.lowerBound), x <= Double(range.upperBound), let n = Int(exactly: x), range.contains(n) else {
            throw fail("'\(label):' takes a whole number \(OptionText.range(range)), not \(OptionText.number(x))", at: value.location)
        }
        return n
    }

    /// A number greater than zero (a step size, a duration, a tolerance).
    func positiveOption(_ value: Syntax, _ label: String) throws -> Double {
        let x = try numberOption(value, label)
        guard x > 0 else { throw fail("'\(label):' takes a number greater than 0, not \(OptionText.number(x))", at: value.location) }
        return x
    }

    /// One word of `allowed` (`method: rk4`), with did-you-mean.
    func wordOption(_ value: Syntax, _ label: String, allowed: [String]) throws -> String {
        let list = allowed.joined(separator: ", ")
        switch value {
        case .name(let word, let at), .string(let word, let at):
            guard allowed.contains(word) else {
                var message = "'\(label):' takes one of \(list); not '\(Diagnostic.escaped(word))'"
                if let s = ExprBuilder.suggestion(for: word, among: allowed) { message += "; did you mean '\(s)'?" }
                throw fail(message, at: at, width: max(1, word.count))
            }
            return word
        default:
            throw fail("'\(label):' takes a word, one of \(list)", at: value.location)
        }
    }
}

enum OptionText {
    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : TextPrinter.format(x, significantDigits: 6)
    }

    static func range(_ r: ClosedRange<Int>) -> String {
        if r.upperBound == Int.max { return "from \(r.lowerBound) to 2^63 - 1" }
        return "from \(r.lowerBound) to \(r.upperBound)"
    }
}

/// Bounds of fixed-step runs, checked before anything runs.
enum FixedStepLimits {
    /// The most steps one run may take (about a minute of rk4 on a small system).
    static let steps = 100_000_000
}

extension Evaluation {
    /// The number of equal steps of size `step` in `duration`, computed in `Double` so no input
    /// traps. Refused: more than `limit` steps; a step longer than the duration (no step would
    /// be taken); and a duration that is not a whole number of steps, since a fixed-step method
    /// keeps one step size throughout (a shorter last step would break the fixed step that a
    /// symplectic method's bounded energy error rests on) — the message names the steps that fit.
    func fixedStepCount(duration: Double, step: Double, limit: Int = FixedStepLimits.steps, at: SourceLocation) throws -> Int {
        let t = abs(duration), ratio = t / step
        let tText = OptionText.number(t), stepText = OptionText.number(step)
        guard ratio.isFinite, ratio <= Double(limit) else {
            throw fail("t/step = \(TextPrinter.format(ratio, significantDigits: 3)) steps is more than the limit of \(OptionText.number(Double(limit))) steps; use a larger step or a shorter t", at: at)
        }
        guard ratio >= 1 - 1e-9 else {
            throw fail("step: \(stepText) is longer than the duration t = \(tText): not one step would be taken; use a step of at most \(tText)", at: at)
        }
        let n = ratio.rounded()
        guard abs(ratio - n) <= 1e-9 * ratio else {
            let fewer = ratio.rounded(.down), more = ratio.rounded(.up)
            var fits = ["step: \(TextPrinter.format(t / more, significantDigits: 6)) (\(OptionText.number(more)) steps)"]
            if fewer >= 1 { fits.append("step: \(TextPrinter.format(t / fewer, significantDigits: 6)) (\(OptionText.number(fewer)) steps)") }
            throw fail("t = \(tText) is not a whole number of steps of \(stepText) (it is \(TextPrinter.format(ratio, significantDigits: 6))); "
                       + "a fixed-step method keeps one step size, since a shorter last step would break the fixed step its accuracy and symplecticity rest on: "
                       + "use \(fits.joined(separator: " or ")), or t: \(TextPrinter.format(max(1, fewer) * step, significantDigits: 6))", at: at)
        }
        return Int(n)
    }

    /// Refuses a trajectory whose samples would take more than `Trajectory.memoryLimit`.
    func checkTrajectoryMemory(samples: Double, dimension: Int, hint: String, at: SourceLocation) throws {
        let bytes = Trajectory.estimatedBytes(samples: samples, dimension: dimension)
        guard bytes <= Trajectory.memoryLimit else {
            throw fail("the trajectory would hold \(TextPrinter.format(samples, significantDigits: 3)) samples of \(dimension) values, about \(OptionText.bytes(bytes)), "
                       + "more than the limit of \(OptionText.bytes(Trajectory.memoryLimit)); \(hint)", at: at)
        }
    }
}

extension OptionText {
    static func bytes(_ b: Double) -> String {
        b >= 1e9 ? "\(TextPrinter.format(b / 1e9, significantDigits: 3)) GB" : "\(TextPrinter.format(b / 1e6, significantDigits: 3)) MB"
    }
}
