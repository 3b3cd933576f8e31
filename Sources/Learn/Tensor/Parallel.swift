import CKernels
import Foundation

/// Learn's use of several cores, with results that do not depend on how many there are.
///
/// Work is split only where the split leaves every output element's arithmetic as it is on one
/// thread: elementwise passes over blocks of elements or rows, column sums over blocks of
/// columns (each column still summed over the rows in order), matrix products over blocks of
/// output rows or columns (each element still one dot product by the same BLAS kernel, whose
/// blocking of the inner dimension depends on that dimension alone). So a training run gives the
/// same bits pinned to one core (`taskset -c 0`: no worker threads at all) and on every core;
/// `ParallelTests` checks it by training with the split forced on and off.
public enum Parallel {
    /// The CPUs this process may run on (its affinity mask, read once): 1 under `taskset -c 0`.
    public static let cores = Int(nk_affinity_cores())

    /// The number of blocks a large operation is split into, when set; nil: `NOETHER_THREADS`
    /// if set, else one per allowed core. For tests: 1 is the serial path, and any other value must give the same bits (on
    /// one core the blocks then run one after another).
    nonisolated(unsafe) public static var blocks: Int? = nil

    /// `NOETHER_THREADS` when set to a positive integer (1: the serial path, for comparison).
    static let requested: Int? = ProcessInfo.processInfo.environment["NOETHER_THREADS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }

    /// Blocks per large operation: 1 when pinned to one core, or while other processes keep
    /// the workers from running (then an operation runs whole: a split one would cost more, a
    /// product split by rows repacking its other operand for each block).
    public static var count: Int {
        if let n = blocks ?? requested { return max(1, n) }
        return cores > 1 && nk_parallel_available() != 0 ? min(cores, 64) : 1
    }

    /// Jobs split over the worker pool so far, and jobs run serially while other processes kept
    /// the workers waiting (see CKernels/parallel.c).
    public static var jobCounts: (split: Int, serial: Int) {
        var split = 0, serial = 0
        nk_parallel_counts(&split, &serial)
        return (split, serial)
    }

    /// `body(index)` for every index in 0..<count, on the worker pool (serially if count ≤ 1).
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else { if count == 1 { body(0) }; return }
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { context in
                nk_parallel_for(count, { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
                }, context)
            }
        }
    }

    /// `body` over contiguous ranges covering 0..<total: one range when total < `minimum` or
    /// one block is asked for, else `count` blocks, or up to four times as many of at least
    /// `grain` each (so that a worker descheduled by another process holds back a small part),
    /// every boundary a multiple of `align`.
    static func ranges(_ total: Int, minimum: Int, align: Int = 1, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard total > 0 else { return }
        let threads = count
        guard threads > 1, total >= minimum, total > align else { body(0..<total); return }
        let blocks = max(threads, min(oversplit * threads, total / max(grain, 1)))
        let size = ((total + blocks - 1) / blocks + align - 1) / align * align
        let pieces = (total + size - 1) / size
        forEach(pieces) { i in body((i * size)..<min(total, (i + 1) * size)) }
    }

    /// Blocks of the rows of a rows × width matrix, split when it has enough elements.
    static func rows(_ rows: Int, width: Int, _ body: (Range<Int>) -> Void) {
        ranges(rows, minimum: rows * width >= elementwiseMinimum ? 2 : .max, grain: elementwiseGrain / max(width, 1), body)
    }

    /// Blocks of the columns of a height × columns matrix (for kernels that sum down columns:
    /// each column's sum is the same whichever block holds it).
    static func columns(_ columns: Int, height: Int, _ body: (Range<Int>) -> Void) {
        ranges(columns, minimum: height * columns >= elementwiseMinimum ? 16 : .max, align: 8, grain: 32, body)
    }

    // Thresholds below which splitting costs more than it saves (measured in BENCHMARKS.md:
    // waking the pool costs a few microseconds).

    /// Elements of an elementwise pass.
    static let elementwiseMinimum = Int(ProcessInfo.processInfo.environment["NOETHER_SPLIT_ELEMENTS"] ?? "") ?? (1 << 15)
    /// Blocks per thread at most (measured: more blocks cost more than they balance).
    nonisolated(unsafe) static var oversplit = max(1, min(64, Int(ProcessInfo.processInfo.environment["NOETHER_OVERSPLIT"] ?? "") ?? 1))
    /// Elements per block of an elementwise pass, at least.
    static let elementwiseGrain = 1 << 14
    /// Multiply-adds (m·n·k) of a matrix product.
    static let productMinimum = Int(ProcessInfo.processInfo.environment["NOETHER_SPLIT_PRODUCT"] ?? "") ?? (1 << 21)
}
