/// The work of one training step of a fully connected dynamics model, estimated before training
/// so an absurd size is refused up front instead of running for minutes without a report.
///
/// A step's forward pass, its input gradient (an HNN differentiates H_θ for the field) and the
/// backward pass over both each cost a few multiply-adds per parameter per row, so the work is
/// proportional to parameters × rows. The constant is measured, not derived.
public struct TrainingCost: Sendable {
    public var parameters: Int
    public var rows: Int

    /// `dimension` inputs, `layers` hidden layers of `hidden` units, and at most `dimension`
    /// outputs (an HNN has one, a baseline `dimension`): the larger count is used.
    public init(dimension: Int, hidden: Int, layers: Int, rows: Int) {
        let d = max(1, dimension), h = max(1, hidden), l = max(1, layers)
        parameters = d * h + h + (l - 1) * (h * h + h) + h * d + d
        self.rows = max(1, rows)
    }

    /// Parameters × rows, in `Double` (no overflow).
    public var work: Double { Double(parameters) * Double(rows) }

    /// The most parameter-rows one step may cost, about 6 s a step: measured on this machine
    /// kind (2 vCPUs, Learn optimised in debug builds too), an HNN of hidden 1024 × 2 layers on
    /// 1,500 rows (1.6e9) takes about 1 s a step. `train(hnn, d, hidden: 4096)` on those rows
    /// (2.5e10) took more than 60 s and is refused.
    public static let limit = 1e10
}
