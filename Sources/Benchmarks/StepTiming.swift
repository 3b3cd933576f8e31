import Foundation
import Learn

/// The timing loop of the training-step benchmarks whose peers take five warm-up steps: each
/// step is `loss()` (the forward phase, whatever it samples or maps) then the gradient and one
/// Adam step; the medians over the timed steps, whole and forward phase, and the last loss.
enum StepTiming {
    static func measure(steps: Int, warmUp: Int = 5, parameters θ: [Variable], optimizer: Adam, loss: (Int) throws -> Variable)
        rethrows -> (total: Double, forward: Double, loss: Double) {
        var total: [Double] = [], forward: [Double] = [], last = 0.0
        for step in 0..<(steps + warmUp) {
            let start = DispatchTime.now().uptimeNanoseconds
            let value = try loss(step)
            let forwardEnd = DispatchTime.now().uptimeNanoseconds
            optimizer.step(θ, gradient(of: value, wrt: θ))
            let end = DispatchTime.now().uptimeNanoseconds
            last = value.value.scalar
            total.append(Double(end - start) / 1e6)
            forward.append(Double(forwardEnd - start) / 1e6)
        }
        func middle(_ values: [Double]) -> Double { let v = values.dropFirst(warmUp).sorted(); return v[v.count / 2] }
        return (middle(total), middle(forward), last)
    }
}
