// What a fixed step cannot integrate, and the tests that see it.
//
// An adaptive method meets a singularity (Kepler's r → 0) as a step size that underflows. A
// fixed step has no such signal: it steps across r = 0 and carries on with a state whose energy
// has changed by orders of magnitude. A coarse step on a smooth system is something else: its
// energy error is O(h^p), oscillating (symplectic methods) or growing steadily (Euler multiplies
// the oscillator's H by 1 + h² per step), and it is the user's choice. The tests therefore ask
// whether the energy changed far beyond what the run itself has shown so far, not whether it
// changed by some fixed amount; they stop the run with the time and the last good state.
//
// Write H_k for H after step k, ΔH_k = H_k − H_(k−1), and S for the magnitude of H's terms: with
// H = Σ_i t_i over the terms of its canonical form, S = Σ_i |t_i| (never below |H|; for Kepler
// S = |p|²/2 + k/r). S0 is S at the start.
//
// - Energy jump (fields that report their energy, `EnergyField`): step k ≥ 2 is a jump when
//     |ΔH_k| > 100 · max_(j<k) |ΔH_j|  and  |ΔH_k| > 0.01 · max(S(x_(k−1)), S(x_k)):
//   a step that changes H a hundred times more than any step of the run before it, by more than
//   1 % of the size of its terms. (The first step has no history and is never a jump.)
// - Energy drift (fields that report their energy, `EnergyField`): step k is a runaway when
//     |H_k − H_0| > S0  and  |H_k − H_0| > 1000 · max_(j≤m) |H_j − H_0|,
//   m the largest power of two ≤ k/2 (so the history is at least the first quarter of the run):
//   the energy has moved by its whole initial scale, a thousand times more than in the early run.
//   A singularity approached with a fine step wrecks the energy over a few dozen steps of
//   hundreds of thousands, each only a little larger than the one before, which the jump test
//   cannot see; this test stops the run before its state is far off.
//
// Margins, measured (every step; jump ratios are the largest of a run among steps above 1 % of
// S, drift ratios the largest |H_k − H_0| / max_(j≤m) |H_j − H_0|):
// - runs that must go on: the oscillator H = p²/2 + q²/2 from (1, 0) for t = 20 (leapfrog
//   h = 0.5, 1, 1.9; euler 0.2, 0.5; rk4 1, 2; yoshida4 1) and the pendulum at H = 1.998 of the
//   separatrix's 2 (rk4 and leapfrog, h = 0.3, 1000 steps). Jump ratio ≤ 2.1 (leapfrog 0.5):
//   48 times below the test. Drift: below 1.0 S0 in every run but Euler's (0.997 S0 at rk4
//   h = 2, 0.22 S0 at h = 1), whose H grows steadily to 49 S0 (h = 0.2) with a drift ratio of
//   20 (50 times below the test), and to 7500 S0 (h = 0.5) with a ratio of 218 (4.6 below).
// - Kepler's head-on fall from (1, 0, 0, 0), r = 0 at t = 1.11, every explicit method at
//   h = 0.01, 0.003, 0.001, 1e-5: the drift ratio exceeds 4.9e5, the step into r = 0 is a jump
//   of 11 (euler, h = 1e-3) to 7.9e6 (yoshida4, h = 0.01) times the run's largest step before.
//   RK4 and yoshida4 at the coarser steps stop on the jump, the others on the drift, and the
//   state kept has |H − H_0| < S0 in every case (before the drift test, with the 1 % rule
//   alone: H = -32.9 for Euler at h = 1e-5).
// - resolved eccentric orbits (e = 0.9, 0.99, and parabolic): their pericenter steps change H by
//   at most 1.1e-4 of S (the jump test's second condition alone keeps them), and their drift
//   stays far below S0 (at most 3.5 % of |H| = 0.035 S0, leapfrog at the e = 0.99 pericenter).
//
// - Singular field (every field). With Δ_k = max_i |x_k,i − x_(k−1),i|, the step map Φ gives
//   Δ_(k+1) = |Φ(x_k) − Φ(x_(k−1))| ≤ Lip(Φ) Δ_k, with L the field's Lipschitz constant along
//   the step: Lip(Φ) ≤ e^(hL) for Euler and RK4 (their stability functions are truncations of
//   the exponential series), ≤ e^(2hL) for leapfrog (kick, drift, kick). Δ_(k+1) > 1000 Δ_k
//   therefore needs hL > 6.9 (RK4, Euler) or 3.4 (leapfrog): a field whose time scale is far
//   below the step, beyond these methods' stability bounds; an implicit step's fixed-point
//   iteration fails even earlier (it needs hL below about 1). It catches a step that lands
//   close to a singularity or a finite-time blow-up, and fields without a Hamiltonian. (Below
//   1e-12 of the state's size the displacement is rounding, not motion.)
//
// H is evaluated once a step (machine code when the field has it); S only at the start and for
// a step that passes the jump test's first condition. The tests read the states only: they
// change no step's arithmetic, and a run they do not stop is bit for bit the run without them.

/// Watches a fixed-step run for an energy jump, an energy drift or a singular field.
struct FixedStepMonitor {
    /// A jump is this many times the largest change of H in a step before it...
    static let jumpOverHistory = 1e2
    /// ...and at least this fraction of the magnitude of H's terms.
    static let energyJump = 1e-2
    /// A runaway drift is this many times the drift of the run's first quarter to half...
    static let driftOverHistory = 1e3
    /// ...and at least this many times the initial magnitude of H's terms.
    static let driftOverScale = 1.0
    /// Growth of the step's displacement from one step to the next.
    static let displacementGrowth = 1e3

    let dimension: Int
    /// The Hamiltonian field, when its terms could be compiled (else no energy tests).
    let field: EnergyField?
    let startTime: Double, step: Double
    /// The state after the last recorded step.
    let previous: UnsafeMutablePointer<Double>
    /// H after the last recorded step, H_0, and S0.
    var energy = 0.0, startEnergy = 0.0, startScale = 0.0
    /// The largest |ΔH| of a step so far, and the largest |H − H_0|.
    var largestChange = 0.0, largestDrift = 0.0
    /// `driftAt[i]`: the largest |H − H_0| over the first 2^i steps.
    var driftAt: [Double] = []
    /// Δ of the last step (nil before the first).
    var displacement: Double?

    init(field: VectorField, from x0: UnsafePointer<Double>, startTime: Double, step: Double) {
        dimension = field.dimension
        let hamiltonian = field as? EnergyField
        self.startTime = startTime; self.step = step
        previous = .allocate(capacity: dimension)
        previous.update(from: x0, count: dimension)
        if let hamiltonian, let start = hamiltonian.energyAndScale(x0) {
            self.field = hamiltonian
            energy = hamiltonian.energy(x0)
            startEnergy = energy
            startScale = start.scale
        } else {
            self.field = nil
        }
    }

    func release() { previous.deallocate() }

    func time(afterStep k: Int) -> Double { startTime + Double(k) * step }

    /// The last good state: the one before step k.
    func stop(_ reason: String, beforeStep k: Int) -> (error: IntegrationError, goodSteps: Int) {
        (IntegrationError(reason: reason, time: time(afterStep: k - 1), state: Array(UnsafeBufferPointer(start: previous, count: dimension))), k - 1)
    }

    /// Records the state after step `k`; a failed test returns the error and the number of
    /// steps whose states are good (samples after them are to be dropped).
    @inline(__always)
    mutating func record(_ x: UnsafePointer<Double>, afterStep k: Int) -> (error: IntegrationError, goodSteps: Int)? {
        let n = dimension
        if let field {
            let h = field.energy(x), change = abs(h - energy), drift = abs(h - startEnergy)
            if k >= 2, change > Self.jumpOverHistory * largestChange, let problem = jump(to: x, h, change, afterStep: k) { return problem }
            if drift > Self.driftOverScale * startScale {
                // The history: the largest drift over the first m steps, m = 2^i ≤ k/2.
                let i = (k / 2).bitWidth - (k / 2).leadingZeroBitCount - 1
                let history = i >= 0 && i < driftAt.count ? driftAt[i] : 0
                if drift > Self.driftOverHistory * history {
                    let reason = "energy drift: in the step to t = \(TextFormat.number(time(afterStep: k))), H reached \(TextFormat.number(h)) from "
                        + "\(TextFormat.number(startEnergy)) at the start, more than \(TextFormat.number(Self.driftOverScale)) times the initial size of its terms "
                        + "(\(TextFormat.number(startScale))) and \(TextFormat.number(Self.driftOverHistory)) times its largest drift over the first "
                        + "\(1 << max(0, i)) steps (\(TextFormat.number(history))): the run approaches a singularity (e.g. r -> 0)"
                    return stop(reason, beforeStep: k)
                }
            }
            energy = h
            largestChange = max(largestChange, change)
            largestDrift = max(largestDrift, drift)
            if k & (k - 1) == 0 { driftAt.append(largestDrift) }  // k = 2^i is the i-th entry
        }
        var moved = 0.0, size = 0.0
        for i in 0..<n {
            moved = max(moved, abs(x[i] - previous[i]))
            size = max(size, abs(previous[i]))
        }
        if let last = displacement, moved > Self.displacementGrowth * max(last, 1e-12 * size) {
            let reason = "singular field: the step to t = \(TextFormat.number(time(afterStep: k))) moved the state "
                + "\(TextFormat.number(moved / max(last, 1e-300))) times farther than the step before (the test stops above "
                + "\(TextFormat.number(Self.displacementGrowth))): the field grows by orders of magnitude within one step "
                + "(a singularity, e.g. r -> 0, or a step far too large)"
            return stop(reason, beforeStep: k)
        }
        displacement = moved
        previous.update(from: x, count: n)
        return nil
    }

    /// The jump test's second condition, for a step that passed the first; nil when it passes.
    func jump(to x: UnsafePointer<Double>, _ h: Double, _ change: Double, afterStep k: Int) -> (error: IntegrationError, goodSteps: Int)? {
        guard let field, let before = field.energyAndScale(previous), let after = field.energyAndScale(x) else { return nil }
        let scale = max(before.scale, after.scale)
        guard change > Self.energyJump * scale else { return nil }
        let reason = "energy jump: in the step to t = \(TextFormat.number(time(afterStep: k))), H went from "
            + "\(TextFormat.number(energy)) to \(TextFormat.number(h)), \(TextFormat.number(change / scale)) of the size of its terms and "
            + "\(TextFormat.number(change / max(largestChange, 1e-300))) times the largest change of a step before (the test stops above "
            + "\(TextFormat.number(Self.energyJump)) and \(TextFormat.number(Self.jumpOverHistory))): the step crosses a singularity (e.g. r -> 0)"
        return stop(reason, beforeStep: k)
    }

    /// Nothing is pending at the end of a run: every step is tested as it is recorded.
    mutating func finish() -> (error: IntegrationError, goodSteps: Int)? { nil }
}
