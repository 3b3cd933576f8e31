import Foundation
import Symbolic

/// Dormand–Prince 5(4) with its continuous extension (Hairer, Nørsett & Wanner, *Solving
/// Ordinary Differential Equations I*, section II.6, the `contd5` interpolant): steps are chosen
/// by error control alone, and samples at requested times come from the dense output of the
/// step that covers them (4th-order accurate inside a step, exact at its ends). First same as
/// last: six new evaluations per accepted step.
struct DormandPrince {
    let relativeTolerance: Double
    let absoluteTolerance: Double
    let initialStep: Double
    let maximumSteps: Int

    // Butcher tableau.
    static let c: [Double] = [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1]
    static let a: [[Double]] = [
        [],
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [44.0 / 45, -56.0 / 15, 32.0 / 9],
        [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
        [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
        [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84],
    ]
    /// b − b̂: the 5th-order weights (the last row of a) minus the embedded 4th-order ones.
    static let e: [Double] = [71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40]
    /// Dense-output weights of `contd5`.
    static let d: [Double] = [-12715105075.0 / 11282082432, 0, 87487479700.0 / 32700410799, -10690763975.0 / 1880347072,
                              701980252875.0 / 199316789632, -1453857185.0 / 822651844, 69997945.0 / 29380423]

    func run(_ field: VectorField, from x0: [Double], times: [Double]) throws -> Trajectory {
        let n = field.dimension
        let t0 = times[0], tEnd = times[times.count - 1]
        let direction: Double = tEnd >= t0 ? 1 : -1
        var trajectory = Trajectory(dimension: n)
        var stats = IntegrationStatistics()
        var y = x0, yNew = x0, stage = x0
        var k = [[Double]](repeating: [Double](repeating: 0, count: n), count: 7)
        func evaluate(_ x: [Double], into out: inout [Double]) {
            x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBufferPointer { field.evaluate(xs.baseAddress!, into: $0.baseAddress!) } }
            stats.functionEvaluations += 1
        }
        y.withUnsafeBufferPointer { trajectory.append(t0, $0.baseAddress!) }
        var next = 1
        var t = t0
        evaluate(y, into: &k[0])
        var h = direction * min(abs(initialStep), abs(tEnd - t0))
        var steps = 0
        while next < times.count {
            guard steps < maximumSteps else {
                throw IntegrationError(reason: "more than \(maximumSteps) steps were needed", time: t, state: y, partial: trajectory)
            }
            steps += 1
            if steps & 255 == 0 { try Interrupt.check() }  // Ctrl-C or --timeout, every 256 steps
            if abs(h) < 1e-14 * max(1, abs(t)) {
                throw IntegrationError(reason: "the step size underflowed (a singularity, or tolerances too tight)", time: t, state: y, partial: trajectory)
            }
            if direction * (t + h - tEnd) > 0 { h = tEnd - t }
            // Stages 2..7 (stage 7 is evaluated at the new point and reused as the next k1).
            for s in 1...6 {
                for i in 0..<n {
                    var sum = 0.0
                    for j in 0..<s { sum += DormandPrince.a[s][j] * k[j][i] }
                    stage[i] = y[i] + h * sum
                }
                if s == 6 { yNew = stage }
                evaluate(stage, into: &k[s])
            }
            // Error estimate, scaled RMS norm.
            var errorSquares = 0.0, finite = true
            for i in 0..<n {
                var err = 0.0
                for j in 0..<7 { err += DormandPrince.e[j] * k[j][i] }
                err *= h
                let scale = absoluteTolerance + relativeTolerance * max(abs(y[i]), abs(yNew[i]))
                errorSquares += (err / scale) * (err / scale)
                finite = finite && yNew[i].isFinite && k[6][i].isFinite
            }
            let error = (errorSquares / Double(n)).squareRoot()
            guard finite, error.isFinite else {
                stats.rejectedSteps += 1
                h *= 0.25
                continue
            }
            if error > 1 {
                stats.rejectedSteps += 1
                h *= max(0.2, 0.9 * pow(error, -0.2))
                continue
            }
            // Accepted: emit the requested times inside (t, t + h] from the dense output.
            let tNew = t + h
            while next < times.count && direction * (times[next] - tNew) <= 0 {
                let theta = (times[next] - t) / h
                var sample = [Double](repeating: 0, count: n)
                for i in 0..<n {
                    let difference = yNew[i] - y[i]
                    let r3 = h * k[0][i] - difference
                    let r4 = difference - h * k[6][i] - r3
                    var r5 = 0.0
                    for j in 0..<7 { r5 += DormandPrince.d[j] * k[j][i] }
                    r5 *= h
                    sample[i] = y[i] + theta * (difference + (1 - theta) * (r3 + theta * (r4 + (1 - theta) * r5)))
                }
                do {
                    try sample.withUnsafeMutableBufferPointer { try checkState($0.baseAddress!, n, time: times[next]) }
                } catch var failure as IntegrationError {
                    failure.partial = trajectory
                    throw failure
                }
                sample.withUnsafeBufferPointer { trajectory.append(times[next], $0.baseAddress!) }
                next += 1
            }
            stats.steps += 1
            t = tNew
            y = yNew
            k[0] = k[6]  // first same as last
            h *= min(5, max(0.2, 0.9 * pow(max(error, 1e-10), -0.2)))
        }
        trajectory.statistics = stats
        return trajectory
    }
}
