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
        var total: [Double] = [], forward: [Double] = [], loss = 0.0
        for step in 0..<(steps + 5) {
            let start = DispatchTime.now().uptimeNanoseconds
            let noise = source.batch((0..<batch).map { step * batch + $0 })
            let value = try model.losses(noise)["variational"]!
            let forwardEnd = DispatchTime.now().uptimeNanoseconds
            optimizer.step(θ, gradient(of: value, wrt: θ))
            let end = DispatchTime.now().uptimeNanoseconds
            loss = value.value.scalar
            total.append(Double(end - start) / 1e6)
            forward.append(Double(forwardEnd - start) / 1e6)
        }
        func middle(_ values: [Double]) -> Double { let v = values.dropFirst(5).sorted(); return v[v.count / 2] }  // five warm-up steps, as the peer
        return [String(format: "nct step: %.2f ms (median of %d, batch %d, n %d, %d layers of width %d, phase-space loss, float64; loss %.6g)",
                       middle(total), steps, batch, n, layers, hidden, loss),
                String(format: "phases (medians): sampling, map, p and loss %.2f ms, backward and Adam %.2f ms", middle(forward), middle(zip(total, forward).map { $0 - $1 })),
                String(format: "threads: %d allowed cores, %d blocks per large operation", Parallel.cores, Parallel.count)]
    }
}
