/// The verbs and statements of the language, with the help text `help NAME` prints.
/// Every entry has an example that works as written after `load kepler3d`.
struct VerbHelp {
    var name: String
    var usage: String
    var summary: String
    var example: String
}

enum Verbs {
    static let statements: [VerbHelp] = [
        .init(name: "canonical", usage: "canonical (q1, p1), (q2, p2), ...",
              summary: "declares the canonical pairs {q_i, p_j} = delta_ij that brackets and vector fields use",
              example: "canonical (x, px), (y, py)"),
        .init(name: "load", usage: "load NAME   or   load NAME(n: 4)",
              summary: "loads a catalog system: its canonical pairs, H and invariants (parameters stay symbols)",
              example: "load kepler3d"),
        .init(name: "show", usage: "show   or   show NAME",
              summary: "lists the session (pairs and definitions), a definition, or a catalog system's names",
              example: "show kepler3d"),
        .init(name: "help", usage: "help   or   help NAME", summary: "explains a verb or statement with an example", example: "help bracket"),
        .init(name: "=", usage: "NAME = EXPRESSION", summary: "defines NAME; later uses of NAME stand for the expression",
              example: "L = x*py - y*px"),
        .init(name: "==", usage: "A == B   or   A != B",
              summary: "mathematical equality decided by the exact zero test (or numerically, and then it says so)",
              example: "bracket(A1, A2) == -2*H*L3"),
    ]

    static let verbs: [VerbHelp] = [
        .init(name: "bracket", usage: "bracket(f, g)", summary: "the Poisson bracket {f, g} over the declared canonical pairs, simplified",
              example: "bracket(L1, L2)"),
        .init(name: "conserved", usage: "conserved(f)   or   conserved(f, g, ...)", summary: "true when {f, H} is proven zero (H is the session's H); several quantities give a list, decided together",
              example: "conserved(A1)"),
        .init(name: "diff", usage: "diff(e, x)   or   diff(e, x, n)", summary: "the (n-th) partial derivative of e with respect to the symbol x",
              example: "diff(H, p1)"),
        .init(name: "simplify", usage: "simplify(e)", summary: "one fraction, side relations applied (sqrt(P)^2 = P, sin^2 + cos^2 = 1, ...), common factors cancelled",
              example: "simplify((q1^2 - 1)/(q1 - 1))"),
        .init(name: "expand", usage: "expand(e)   or   expand(e, limit: N)", summary: "products and positive integer powers of sums multiplied out (refused past N terms, 10^6 unless given)",
              example: "expand((q1 + p1)^2)"),
        .init(name: "subs", usage: "subs(e, x, v)   or   subs(e, x: v, y: w)", summary: "substitutes values or expressions for symbols, simultaneously",
              example: "subs(H, k: 1)"),
        .init(name: "eval", usage: "eval(e, x: 1.0, ...)", summary: "the numeric value; unset parameters of the loaded system take their default values",
              example: "eval(H, q1: 1, q2: 0, q3: 0, p1: 0, p2: 1, p3: 0)"),
        .init(name: "vectorfield", usage: "vectorfield()   or   vectorfield(H)", summary: "Hamilton's equations: the list [dq1/dt, dp1/dt, ...] = [{q1, H}, {p1, H}, ...]",
              example: "vectorfield()"),
        .init(name: "latex", usage: "latex(e)", summary: "the expression as LaTeX", example: "latex(H)"),
        .init(name: "simulate", usage: "simulate(x0: [...], t: T, step: h, method: M)",
              summary: "integrates Hamilton's equations of the session's H from x0 = (q..., p...); fixed step (euler, rk4, leapfrog, yoshida4, midpoint, gl4, gl6; t must be a whole number of steps; every: k keeps every k-th state) or adaptive (rk8pd, rkf45, dopri5 with dense output; samples: n, rtol:, atol:, step: the first trial step); other labels set parameters",
              example: "simulate(x0: [1, 0, 0, 0, 1, 0], t: 10, step: 0.01, method: leapfrog)"),
        .init(name: "drift", usage: "drift(f, trajectory)", summary: "max and rms deviation of f along a trajectory, relative to |f(0)| (absolute when f(0) = 0), and a sparkline of it over time",
              example: "drift(H, simulate(x0: [1, 0, 0, 0, 1, 0], t: 10, step: 0.01, method: rk4))"),
        .init(name: "plot", usage: "plot(f, trajectory, \"f.png\")   or   plot(trajectory, \"phase.png\")",
              summary: "a PNG figure (gnuplot): f (or a list of expressions) over time, log: 1 for the relative deviation on a log scale, the phase portrait of the first pair, or plot(fit, \"degrees.png\") for a fit's error-by-degree table",
              example: "plot(H, simulate(x0: [1, 0, 0, 0, 1, 0], t: 10, step: 0.01, method: rk4), \"/tmp/energy.png\")"),
        .init(name: "liouville", usage: "liouville(x0: [q, p], radius: r, points: n, t: T, step: h, method: M)",
              summary: "transports a loop of n points around x0 (one degree of freedom) and compares the enclosed area before and after (shoelace)",
              example: "load pendulum; liouville(x0: [1, 0], t: 10, step: 0.1, method: euler)"),
        .init(name: "poincare", usage: "poincare(x0: [...], t: T, step: h, method: M, file: \"section.png\")",
              summary: "the Poincare section q2 = 0, p2 > 0 of a system with two degrees of freedom: crossings as points, optionally plotted",
              example: "load kepler2d; poincare(x0: [1, 0, 0, 1.2], t: 100, step: 0.01)"),
        .init(name: "dataset", usage: "dataset(SYSTEM, trajectories: N, samples: S, t: T, seed: K, test: 0.2, noise: 0, sampler: scnn)",
              summary: "states, exact time derivatives, times and trajectory ids for learning, split into train and test by trajectory; defaults follow the system's paper (SCNN appendix B, Greydanus et al.)",
              example: "dataset(kepler3d, trajectories: 3, samples: 5, seed: 1)"),
        .init(name: "save", usage: "save(data, \"file.csv\")   or   save(model, \"model.ckpt\")",
              summary: "writes a dataset as CSV with a header (NumPy and pandas read it), or a model with its optimizer state as a checksummed checkpoint; atomically, through symbolic links, keeping a replaced file's permissions (FIFOs, devices and directories are refused)",
              example: "save(dataset(kepler3d, trajectories: 2, samples: 3), \"/tmp/kepler.csv\")"),
        .init(name: "read", usage: "read(\"file.csv\")   or   read(\"model.ckpt\")",
              summary: "reads a dataset file back, checking its preamble, header, every row, the row count and checksum, or a checkpoint as a model (resume continues its training)",
              example: "read(\"/tmp/kepler.csv\")"),
        .init(name: "train", usage: "train(hnn, data, hidden: 200, layers: 2, steps: 2000, lr: 1e-3, batch: 0, seed: 0, checkpoint: \"m.ckpt\")",
              summary: "trains an HNN (ẋ = Ω∇H_θ) or a baseline MLP (predicts ẋ) on a dataset's train split with Adam; batch 0 is full batch; plateau: 0.5, patience: 100 cut the rate when the loss stalls; checkpoint: writes model and optimizer as it goes. A loss or gradient that is not finite, an output that can overflow or a loss above 1e6 times the run's lowest (divergence) stops it with the last parameters that passed; the train loss shown is that of the parameters kept. An HNN's learned Hamiltonian is model.H([q, p]) or model.H(trajectory)",
              example: "train(hnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 16, steps: 20, lr: 0.01)"),
        .init(name: "resume", usage: "resume(model, data, steps: 1000)", summary: "continues a model's training (from train or read) with its optimizer state; with the same batch: and seed: as the first run, the result equals one longer run to the last bit",
              example: "resume(train(hnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), dataset(harmonic, trajectories: 4, samples: 10), steps: 5)"),
        .init(name: "evaluate", usage: "evaluate(model, data, t: T)", summary: "the mean squared error of the model's dx/dt on the train and test splits, and Greydanus et al.'s rollout metrics: from each test trajectory's first state, trajectory MSE and energy MSE against the true system over [0, T] (default: the data's span)",
              example: "evaluate(train(baseline, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), dataset(harmonic, trajectories: 4, samples: 10))"),
        .init(name: "fit", usage: "fit(TARGET, data, degree: 2, vars: [...], basis: [...], noise: 0, seed: 0, threshold: t, ridge: gcv)",
              summary: "least squares (GSL) of TARGET (an expression on the data, a list of numbers, or model.H) on monomials up to a degree (degree: [1, 4] selects one by 5-fold error and prints the table) or on given terms; insignificant terms (5 standard errors) are dropped, threshold: does STLSQ; members .expr, .exact (small rationals), .normalized (scale and offset removed), .mse, .table",
              example: "fit(q1*p2 - q2*p1, dataset(kepler2d, trajectories: 3, samples: 20), degree: 2).exact"),
        .init(name: "identify", usage: "identify(f, [Px, Py, L])   or   identify([f, g], [Px, Py, L])",
              summary: "a fit in the span of known quantities on its data (coefficients, R²), and the principal angles between the spans",
              example: "identify(fit(2*(q1*p2 - q2*p1) + 1, dataset(kepler2d, trajectories: 3, samples: 20), degree: 2), [q1*p2 - q2*p1])"),
        .init(name: "rollout", usage: "rollout(model, x0: [...], t: T, step: h, method: rk4)", summary: "the learned vector field integrated from x0: a trajectory for drift and plot",
              example: "rollout(train(hnn, dataset(harmonic, trajectories: 2, samples: 5), hidden: 8, steps: 3), x0: [1, 0], t: 1, step: 0.1)"),
        .init(name: "last", usage: "last(trajectory)", summary: "the final state of a trajectory, as a list",
              example: "last(simulate(x0: [1, 0, 0, 0, 1, 0], t: 3.14, step: 0.01, method: gl4))"),
    ]

    static let functions = ["sqrt", "exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "abs"]

    static var all: [VerbHelp] { statements + verbs }
    static var verbNames: [String] { verbs.map(\.name) }
    static var reserved: Set<String> { Set(verbNames + functions + ["I", "pi", "true", "false", "canonical", "load", "show", "help"]) }
}
