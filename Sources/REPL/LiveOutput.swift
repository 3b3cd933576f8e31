/// Where a running statement reports what it makes as it goes, when a front end other than the
/// terminal listens (the Jupyter kernel): figures as they are written, and training progress.
/// Unset (the REPL, `run`, `check`), figures are only files and progress goes to standard error.
public enum LiveOutput {
    /// Called with the path of every PNG a statement writes.
    nonisolated(unsafe) public static var image: ((String) -> Void)?
    /// Called with each progress line (training steps, meta-training, a scan's runs).
    nonisolated(unsafe) public static var progress: ((String) -> Void)?
}
