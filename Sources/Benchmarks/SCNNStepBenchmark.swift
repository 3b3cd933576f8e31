import Dynamics
import Foundation
import Learn
import Symbolic

/// `noether bench scnn-step`: the workload of `shared/peers/scnn_step.py` — one training step
/// of a symmetry control network on the two-body problem (SCNN-base, all four pairs cyclic):
/// T 8 → 200 → 200 → 8 and H_φ 4 → 200 → 200 → 1 (tanh, orthogonal), batch 1024, the loss
/// L_HNN + 10⁻³ L_Poisson + 10⁻³ L_HQP through T's per-sample Jacobian, backward to both
/// networks' parameters (second order), Adam. States are near-circular two-body states (the
/// SCNN sampler of appendix B.1) with their exact time derivatives.
public enum SCNNStepBenchmark {
    public static func run(batch: Int = 1024, steps: Int = 10) throws -> [String] {
        let model = SymmetryControlNetwork(dimension: 8, hidden: 200, layers: 2, cyclic: 4, initializer: .orthogonal, seed: 0)
        let system = try Catalog.system("twobody")
        let field = try HamiltonianVectorField(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: system.parameterValues(), native: true)
        var rng = SeededGenerator(seed: 1)
        var states: [Double] = [], derivatives: [Double] = []
        for _ in 0..<batch {
            let x = try InitialConditions.sample("twobody", sampler: "scnn", dimension: 8, &rng) { field.energy($0) }
            states += x
            derivatives += field(x)
        }
        let pairs = Batch(["x": Tensor(shape: [batch, 8], storage: states), "dx": Tensor(shape: [batch, 8], storage: derivatives)])
        let θ = model.variables
        let optimizer = Adam(learningRate: 1e-3)
        var times: [Double] = [], forward: [Double] = [], loss = 0.0
        let residentBefore = HNNStepBenchmark.memoryKiB("VmRSS")
        var graphBytes = 0
        for _ in 0..<(steps + 2) {
            let start = DispatchTime.now().uptimeNanoseconds
            let terms = try model.losses(pairs)
            let total = terms["hnn"]! + terms["poisson"]! * model.settings.alpha1 + terms["hqp"]! * model.settings.alpha2
            let forwardEnd = DispatchTime.now().uptimeNanoseconds
            let grads = gradient(of: total, wrt: θ)
            optimizer.step(θ, grads)
            let end = DispatchTime.now().uptimeNanoseconds
            loss = total.value.scalar
            graphBytes = total.graphBytes
            times.append(Double(end - start) / 1e6)
            forward.append(Double(forwardEnd - start) / 1e6)
        }
        func middle(_ values: [Double]) -> Double { let v = values.dropFirst(2).sorted(); return v[v.count / 2] }  // two warm-up steps
        let peakGrowth = Double(HNNStepBenchmark.memoryKiB("VmHWM") - residentBefore) / 1024
        return [String(format: "scnn step: %.1f ms (median of %d, batch %d, float64; loss %.6g)", middle(times), steps, batch, loss),
                String(format: "phases (medians): forward with T's Jacobian and the three losses %.1f ms, backward and Adam %.1f ms",
                       middle(forward), middle(zip(times, forward).map { $0 - $1 })),
                String(format: "threads: %d allowed cores, %d blocks per large operation; pool jobs split %d, serial under contention %d",
                       Parallel.cores, Parallel.count, Parallel.jobCounts.split, Parallel.jobCounts.serial),
                String(format: "memory: peak resident growth %.1f MiB; the step's recorded graph holds %.1f MiB", peakGrowth, Double(graphBytes) / 1048576)]
    }
}
