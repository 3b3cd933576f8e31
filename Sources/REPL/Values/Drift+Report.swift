import Dynamics
import Symbolic

/// How `drift` and `model.H(trajectory)` print a drift: the summaries and a sparkline.
extension Drift {
    /// The deviation over time in `width` block characters (the maximum of each bucket).
    func sparkline(width: Int = 48) -> String {
        let blocks = Array("▁▂▃▄▅▆▇█")
        guard deviations.count > 1, maximum > 0 else { return String(repeating: "▁", count: min(width, max(1, deviations.count))) }
        let buckets = min(width, deviations.count)
        var out = ""
        for b in 0..<buckets {
            let lo = b * deviations.count / buckets, hi = max(lo + 1, (b + 1) * deviations.count / buckets)
            let m = deviations[lo..<hi].max() ?? 0
            out.append(blocks[min(blocks.count - 1, Int((m / maximum) * Double(blocks.count - 1) + 0.5))])
        }
        return out
    }

    var report: String {
        let kind = isRelative ? "relative to |f(0)| = \(TextPrinter.format(abs(initial), significantDigits: 6))" : "absolute, f(0) = 0"
        return "max \(TextPrinter.format(maximum, significantDigits: 3)), rms \(TextPrinter.format(rms, significantDigits: 3)) (\(kind))\n\(sparkline())"
    }
}
