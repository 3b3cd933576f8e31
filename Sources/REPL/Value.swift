import Symbolic
import Dynamics
import Learn

/// A trained model with what it was trained on.
public struct ModelValue {
    public var model: any FieldModel
    /// The optimizer of its run, so `resume` continues it.
    public var optimizer: Adam?
    /// The schedule's state of its run (a plateau rule's memory), so `resume` continues it.
    public var schedule: LearningRateScheduler.State?
    /// The last training run (nil for a model read from a checkpoint).
    public var report: TrainingReport?
    public var names: [String]
    public var parameters: [String: Double]
    public var system: String
    /// The checkpoint it was read from.
    public var source: String?

    var summary: String {
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        var s = "\(model.kind) model of \(system): \(model.architectureDescription), \(optimizer?.steps ?? report?.stepsTaken ?? 0) steps"
        if let r = report {
            s += "; train loss \(short(r.finalTrainingLoss))"
            if let t = r.testLoss { s += ", test loss \(short(t))" }
            // The first entry is the starting rate; the rest are a schedule's cuts.
            let cuts = r.learningRates.dropFirst()
            if let last = cuts.last { s += "; lr cut to \(short(last.rate)) at step\(cuts.count > 1 ? "s" : "") \(cuts.map { String($0.step) }.joined(separator: ", "))" }
            if let stop = r.stoppedEarly { s += "; \(stop)" }
        }
        if let source { s += "; read from \(source)" }
        return s
    }
}

/// What a statement of the language evaluates to.
public enum Value {
    case expr(Expr)
    /// A decision, with how it was reached (`true (numeric, 8 points)`).
    case decision(ZeroDecision)
    case bool(Bool)
    case list([Value])
    case text(String)
    case trajectory(TrajectoryValue)
    case dataset(Dataset, source: String)
    case model(ModelValue)
    case fit(FitValue)
    case none

    /// The most nodes an expression may have to be printed whole.
    static let largestPrintedSize = 1_000_000

    /// The REPL's output convention: zero prints `0`, booleans `true`/`false`, exact rationals
    /// `3/2`, floats with up to 6 significant digits.
    public var display: String {
        switch self {
        case .expr(let e):
            // Shared subtrees print each time: a 40-level definition chain can be 2^40 characters.
            guard e.size <= Value.largestPrintedSize else {
                return "(an expression of \(e.size == Int.max ? "more than 10^18" : String(e.size)) nodes, too large to print; it is kept, and verbs such as eval, conserved and diff use it)"
            }
            return TextPrinter(floatDigits: 6).print(e)
        case .decision(let d): return d.verdict
        case .bool(let b): return b ? "true" : "false"
        case .list(let vs): return "[" + vs.map(\.display).joined(separator: ", ") + "]"
        case .text(let s): return s
        case .trajectory(let t): return t.summary
        case .dataset(let d, let source): return Value.describe(d, source: source)
        case .model(let m): return m.summary
        case .fit(let f): return f.summary
        case .none: return ""
        }
    }

    var kindName: String {
        switch self {
        case .expr: return "an expression"
        case .decision, .bool: return "a boolean"
        case .list: return "a list"
        case .text: return "text"
        case .trajectory: return "a trajectory"
        case .dataset: return "a dataset"
        case .model: return "a model"
        case .fit: return "a fit"
        case .none: return "nothing"
        }
    }
}

extension Value {
    static func describe(_ d: Dataset, source: String) -> String {
        let trajectories = d.trajectoryCount, test = d.testTrajectoryCount
        let perTrajectory = trajectories > 0 ? d.count / trajectories : 0
        let params = d.parameters.keys.sorted().map { "\($0) = \(TextPrinter.format(d.parameters[$0]!, significantDigits: 6))" }.joined(separator: ", ")
        return "dataset: \(d.system) (\(source)), \(trajectories) trajectories x \(perTrajectory) samples = \(d.count) rows, "
            + "\(trajectories - test) train / \(test) test trajectories; state (\(d.names.joined(separator: ", "))) with exact derivatives; "
            + "noise \(TextPrinter.format(d.noise, significantDigits: 3)); seed \(d.seed)" + (params.isEmpty ? "" : "; \(params)")
            + notes(d)
    }

    /// What reading the data's file noticed, one "note:" line each (empty when nothing).
    static func notes(_ d: Dataset) -> String {
        d.notes.map { "\nnote: " + $0 }.joined()
    }
}

/// A count or size typed by the user, as an Int without trapping: NaN is 0, and magnitudes are
/// capped at 10^15 (every verb then checks its own range and says so).
func saturatingInt(_ v: Double) -> Int {
    v.isNaN ? 0 : Int(max(-1e15, min(1e15, v.rounded(.towardZero))))
}

/// A seed typed by the user: negative is 0, huge values saturate.
func seedValue(_ v: Double) -> UInt64 {
    v.isNaN || v <= 0 ? 0 : (v >= 1.8e19 ? UInt64.max : UInt64(v.rounded(.towardZero)))
}
