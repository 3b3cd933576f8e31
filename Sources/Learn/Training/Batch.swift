/// One batch of training data: named tensors whose first axis is the batch's rows (`x` and
/// `dx` for derivative pairs; `x`, `next` and `dt` for consecutive states; …). A model's
/// `losses` reads the tensors it needs by name.
public struct Batch {
    public var tensors: [String: Tensor]

    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// The rows: the first axis of `x` (0 for an empty batch).
    public var rows: Int { tensors["x"]?.shape.first ?? tensors.values.first?.shape.first ?? 0 }

    /// The tensor `name`, or an error naming what `model` needed and what the batch holds.
    public func tensor(_ name: String, for model: String) throws -> Tensor {
        guard let t = tensors[name] else {
            throw ModelError(message: "the \(model) model needs '\(name)' in its batch; this batch has \(tensors.keys.sorted().joined(separator: ", "))")
        }
        return t
    }
}

/// Where training draws its batches from: `count` items of the training split (rows, pairs or
/// trajectories, by source), a batch of any of them, the whole split, and the held-out split.
/// The trainer draws items i ∈ 0..<count; the source turns them into tensors.
public protocol BatchSource {
    /// The dimension d of the states.
    var dimension: Int { get }
    /// The items of the training split.
    var count: Int { get }
    /// The batch of items `items` (indices in 0..<count, repeats allowed), in that order.
    func batch(_ items: [Int]) -> Batch
    /// Every item of the held-out split as one batch, or nil when there is none.
    var testBatch: Batch? { get }
    /// Every item of the training split as one batch (a source whose items are draws, not
    /// rows, says what its whole split is).
    var trainingBatch: Batch { get }
    /// What the data is of, carried into checkpoints.
    var provenance: Checkpoint.Provenance { get }
    /// Throws a `TrainingError` when the source cannot be trained on (no items, non-finite
    /// values).
    func validate() throws
}

extension BatchSource {
    /// Every item of the training split as one batch.
    public var trainingBatch: Batch { batch(Array(0..<count)) }
}
