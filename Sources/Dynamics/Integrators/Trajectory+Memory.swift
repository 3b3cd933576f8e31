/// The memory a trajectory will take, known before integrating, so a run that cannot fit is
/// refused up front instead of failing (or swapping) after hours.
extension Trajectory {
    /// Bytes of `samples` stored samples of a `dimension`-dimensional state: per sample one time
    /// and the state, 8 bytes each (array growth may briefly double it). In `Double`, so no count
    /// overflows.
    public static func estimatedBytes(samples: Double, dimension: Int) -> Double {
        samples * Double(dimension + 1) * 8
    }

    /// The most one trajectory may hold: 2 GB (a tenth of this machine kind's 23 GB, with room
    /// for growth's copies). Store fewer samples (`every:`, `samples:`) to stay below.
    public static let memoryLimit = 2e9

    /// The samples a fixed-step run of `steps` steps stores with `sampleEvery`: the start, every
    /// `sampleEvery`-th step, and the last.
    public static func fixedStepSamples(steps: Double, sampleEvery: Double) -> Double {
        (steps / max(1, sampleEvery)).rounded(.down) + 2
    }
}
