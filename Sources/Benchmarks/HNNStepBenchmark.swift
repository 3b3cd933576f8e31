import Foundation
import Learn
import Symbolic

/// `noether bench hnn-step`: the workload of `shared/peers/hnn_step.py` — one HNN training
/// step (forward, ∇ₓH with the graph kept, loss on Ω∇H, backward through the double gradient,
/// Adam) on a batch of random 8-dimensional states, MLP 8 → 200 → 200 → 1, tanh, orthogonal.
public enum HNNStepBenchmark {
    public static func run(batch: Int = 4096, steps: Int = 20) -> [String] {
        let dim = 8
        let model = HamiltonianNeuralNetwork(dimension: dim, hidden: 200, layers: 2, initializer: .orthogonal, seed: 0)
        let θ = model.variables
        var rng = SeededGenerator(seed: 1)
        let x = Tensor(shape: [batch, dim], storage: (0..<(batch * dim)).map { _ in rng.normal() })
        let dx = Tensor(shape: [batch, dim], storage: (0..<(batch * dim)).map { _ in rng.normal() })
        let pairs = Batch(["x": x, "dx": dx])
        let optimizer = Adam(learningRate: 1e-3)
        var times: [Double] = [], phases: [[Double]] = [[], [], []]
        var loss = 0.0
        let residentBefore = memoryKiB("VmRSS")
        var graphBytes = 0, gradientBytes = 0
        for _ in 0..<(steps + 2) {
            let start = DispatchTime.now().uptimeNanoseconds
            let objective = try! model.losses(pairs)["mse"]!
            let forwardEnd = DispatchTime.now().uptimeNanoseconds
            let grads = gradient(of: objective, wrt: θ)
            let backwardEnd = DispatchTime.now().uptimeNanoseconds
            optimizer.step(θ, grads)
            loss = objective.value.scalar
            let end = DispatchTime.now().uptimeNanoseconds
            times.append(Double(end - start) / 1e6)
            for (k, span) in [(start, forwardEnd), (forwardEnd, backwardEnd), (backwardEnd, end)].enumerated() {
                phases[k].append(Double(span.1 - span.0) / 1e6)
            }
            graphBytes = objective.graphBytes
            gradientBytes = grads.reduce(0) { $0 + 8 * $1.value.count }
        }
        let peakGrowth = Double(memoryKiB("VmHWM") - residentBefore) / 1024, needed = Double(graphBytes + gradientBytes) / 1048576
        func middle(_ values: [Double]) -> Double { let v = values.dropFirst(2).sorted(); return v[v.count / 2] }  // two warm-up steps
        let timed = times.dropFirst(2)
        let median = middle(times)
        let hidden = 200
        let flops = 6.0 * 2 * Double(batch) * Double(dim * hidden + hidden * hidden + hidden)  // the peer's count
        // The machine's dgemm rate (2048³, best of 3, split like the step's products), for scale.
        let n = 2048
        let a = Tensor(shape: [n, n], storage: (0..<(n * n)).map { _ in rng.uniform(-1, 1) })
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = Tensor.matmul(a, a)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let peak = 2 * pow(Double(n), 3) / best / 1e9
        let achieved = flops / (median / 1e3) / 1e9
        // The step's large product alone, and tanh over one layer's activations (best of 10).
        func fastest(_ body: () -> Void) -> Double {
            (0..<10).map { _ in
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }.min()!
        }
        let activations = Tensor(shape: [batch, hidden], storage: (0..<(batch * hidden)).map { _ in rng.uniform(-3, 3) })
        let weights = Tensor(shape: [hidden, hidden], storage: (0..<(hidden * hidden)).map { _ in rng.uniform(-1, 1) })
        let product = 2 * Double(batch * hidden * hidden) / fastest { _ = Tensor.matmul(activations, weights) } / 1e9
        let kernelTanh = fastest { _ = activations.tanh() } / Double(activations.count) * 1e9
        let libmTanh = fastest { _ = activations.map(Foundation.tanh) } / Double(activations.count) * 1e9
        return [String(format: "hnn step: %.1f ms (median of %d, batch %d, float64, %d thread(s); %.1f GFLOP/s by the peer's count; loss %.4f)",
                       median, timed.count, batch, Parallel.count, achieved, loss),
                String(format: "phases (medians): forward and loss %.1f ms, backward %.1f ms, Adam %.1f ms",
                       middle(phases[0]), middle(phases[1]), middle(phases[2])),
                String(format: "dgemm peak on this machine, %d thread(s), 2048^3: %.1f GFLOP/s (the step reaches %.0f %%)", Parallel.count, peak, 100 * achieved / peak),
                String(format: "dgemm %dx%dx%d (the step's large product): %.1f GFLOP/s; tanh: %.2f ns per element (libm: %.2f)",
                       batch, hidden, hidden, product, kernelTanh, libmTanh),
                String(format: "threads: %d allowed cores, %d blocks per large operation; pool jobs split %d, serial under contention %d",
                       Parallel.cores, Parallel.count, Parallel.jobCounts.split, Parallel.jobCounts.serial),
                String(format: "memory: peak resident growth over the steps %.1f MiB; the step's recorded graph and gradients hold %.1f MiB (ratio %.2f)",
                       peakGrowth, needed, peakGrowth / needed)]
    }

    /// A field of /proc/self/status in KiB (VmRSS: resident now; VmHWM: peak resident).
    static func memoryKiB(_ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
}
