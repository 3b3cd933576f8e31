import Dynamics
import Foundation
import Learn
import Symbolic

/// `noether bench nct-step`: the workload of `shared/peers/nct_step.py` (its default `--loss
/// phase`) — one variational step of a neural canonical transformation on the harmonic chain with
/// fixed ends, n = 16, beta = 1: a real NVP of 8 affine couplings (even and odd sites alternating,
/// s = c tanh(MLP_s), t = MLP_t, each MLP n/2 → 128 → 128 → n/2 with tanh), latent oscillators
/// with learned ω; the step draws 200 latent samples, maps them to (q, p) (p by a recorded
/// vector–Jacobian product), evaluates E[ln p(Q, P) + βH], differentiates it (a double backward)
/// and takes an Adam step at 1e-3. float64.
public enum NCTStepBenchmark {
    public static func run(batch: Int = 200, n: Int = 16, layers: Int = 8, hidden: Int = 128, steps: Int = 50) throws -> [String] {
        var recipe = InitialConditions.recipe(for: "chain")
        recipe.trajectories = 1
        recipe.samples = 2
        let data = try Dataset.generate(Dataset.Specification(system: try Catalog.system("chain", options: ["n": n]), catalogName: "chain", recipe: recipe, seed: 0))
        let model = NeuralCanonicalTransformation(dimension: 2 * n, layers: layers, hidden: hidden, beta: 1, seed: 0)
        let source = model.batchSource(for: data)
        try source.validate()
        let θ = model.variables
        let optimizer = Adam(learningRate: 1e-3)
        let t = try StepTiming.measure(steps: steps, parameters: θ, optimizer: optimizer) { step in
            try model.losses(source.batch((0..<batch).map { step * batch + $0 }))["variational"]!
        }
        return [String(format: "nct step: %.2f ms (median of %d, batch %d, n %d, %d layers of width %d, phase-space loss, float64; loss %.6g)",
                       t.total, steps, batch, n, layers, hidden, t.loss),
                String(format: "phases (medians): sampling, map, p and loss %.2f ms, backward and Adam %.2f ms", t.forward, t.total - t.forward),
                String(format: "threads: %d allowed cores, %d blocks per large operation", Parallel.cores, Parallel.count)]
    }
}
