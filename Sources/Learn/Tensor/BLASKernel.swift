import CKernels
import COpenBLAS
import Foundation

/// Which of OpenBLAS's kernel families the products run on.
///
/// OpenBLAS chooses its kernels when it is loaded, before `main`, from the CPU's model, or from
/// `OPENBLAS_CORETYPE` when that is set. OpenBLAS 0.3.21 does not know newer CPUs (this
/// machine's Sapphire Rapids among them) and falls back to its SSE3 kernels, "Prescott", which
/// made `noether bench hnn-step` 2.2–2.4× slower here (BENCHMARKS.md) and round differently from
/// the Haswell kernels that the tests, the checked notebooks and the benchmarks run with. So the
/// command line pins the Haswell kernels itself on every CPU that has AVX2 and FMA: when
/// `OPENBLAS_CORETYPE` is unset, it sets it and runs itself again, before anything else happens.
/// A user who sets the variable (to any value) keeps their choice.
public enum BLASKernel {
    /// The family pinned when the variable is unset.
    public static let pinned = "Haswell"

    /// OpenBLAS's name for the kernels it runs with.
    public static var current: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Sets `OPENBLAS_CORETYPE` to `pinned` and replaces the process by a fresh copy of itself
    /// (same arguments, environment and open files), when the variable is unset and the CPU can
    /// run those kernels. Returns only when nothing needs doing or the exec failed (then the
    /// process runs on with OpenBLAS's own choice).
    public static func pinByRunningAgain() {
        guard getenv("OPENBLAS_CORETYPE") == nil, nk_cpu_has_avx2_fma() != 0 else { return }
        setenv("OPENBLAS_CORETYPE", pinned, 1)
        setenv(pinnedMarker, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(pinnedMarker)
    }

    /// Set beside `OPENBLAS_CORETYPE` when Noether set that itself: processes started elsewhere
    /// (a Slurm node, which may lack AVX2) must then choose for their own CPU, not inherit it.
    public static let pinnedMarker = "NOETHER_PINNED_OPENBLAS_CORETYPE"

    /// `OPENBLAS_CORETYPE` as the user set it (nil when unset, or set by `pinByRunningAgain`).
    public static var userChoice: String? {
        let environment = ProcessInfo.processInfo.environment
        return environment[pinnedMarker] == nil ? environment["OPENBLAS_CORETYPE"] : nil
    }
}
