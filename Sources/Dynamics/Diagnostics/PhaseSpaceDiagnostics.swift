import Foundation
/// Liouville's theorem and Poincaré sections, measured on integrated flows.
public enum PhaseSpaceDiagnostics {
    public struct LiouvilleResult: Sendable {
        public var initialArea: Double
        public var finalArea: Double
        public var relativeChange: Double { (finalArea - initialArea) / initialArea }
        /// The transported loop (q, p) at the end.
        public var loop: [(Double, Double)]
    }

    /// Transports a circle of `points` states of radius `radius` around `center` (a 1-dof
    /// system) for `steps` steps and compares the area it encloses (shoelace formula) before
    /// and after. A symplectic method preserves it; for a linear map the polygon through the
    /// mapped vertices is the exact image, so the ratio is det^steps.
    public static func liouville(_ field: VectorField, integrator: FixedStepIntegrator, center: [Double], radius: Double,
                                 points: Int, steps: Int) throws -> LiouvilleResult {
        guard field.dimension == 2, center.count == 2 else {
            throw IntegrationError(reason: "the Liouville loop needs a system with one degree of freedom (a (q, p) plane)", time: 0, state: center)
        }
        return try transportedLoop(center: center, radius: radius, points: points) { x0 in
            try integrator.run(field, from: x0, steps: steps, sampleEvery: max(1, steps)).last
        }
    }

    /// The same measurement for a step map φ of the (q, p) plane: the loop's vertices are mapped
    /// by φ^steps. Area is preserved exactly when φ is symplectic; the polygon's area then changes
    /// only by how the image of the circle bends between its vertices (nothing, for a linear φ).
    public static func liouville(_ map: StepMap, center: [Double], radius: Double, points: Int, steps: Int) throws -> LiouvilleResult {
        guard map.dimension == 2, center.count == 2 else {
            throw IntegrationError(reason: "the Liouville loop needs a system with one degree of freedom (a (q, p) plane)", time: 0, state: center)
        }
        return try transportedLoop(center: center, radius: radius, points: points) { x0 in
            try map.iterate(from: x0, steps: steps, sampleEvery: max(1, steps)).last
        }
    }

    /// The circle's vertices, each carried by `transport`, and the areas before and after.
    private static func transportedLoop(center: [Double], radius: Double, points: Int,
                                        transport: ([Double]) throws -> [Double]) throws -> LiouvilleResult {
        var start: [(Double, Double)] = [], end: [(Double, Double)] = []
        for k in 0..<max(3, points) {
            let angle = 2 * Double.pi * Double(k) / Double(max(3, points))
            let x0 = [center[0] + radius * cos(angle), center[1] + radius * sin(angle)]
            start.append((x0[0], x0[1]))
            let x = try transport(x0)
            end.append((x[0], x[1]))
        }
        return LiouvilleResult(initialArea: shoelace(start), finalArea: shoelace(end), loop: end)
    }

    /// The area enclosed by a polygon, counter-clockwise positive.
    public static func shoelace(_ polygon: [(Double, Double)]) -> Double {
        var twice = 0.0
        for k in polygon.indices {
            let (a, b) = (polygon[k], polygon[(k + 1) % polygon.count])
            twice += a.0 * b.1 - b.0 * a.1
        }
        return twice / 2
    }

    /// Points (q1, p1) where a 2-dof trajectory crosses q2 = 0 with p2 > 0, located by
    /// linear interpolation between consecutive fixed steps.
    public static func poincareSection(_ field: VectorField, integrator: FixedStepIntegrator, from x0: [Double],
                                       steps: Int) throws -> [(Double, Double)] {
        guard field.dimension == 4 else {
            throw IntegrationError(reason: "a Poincaré section needs two degrees of freedom", time: 0, state: x0)
        }
        return poincareSection(of: try integrator.run(field, from: x0, steps: steps, sampleEvery: 1))
    }

    /// Points (q1, p1) where the samples of a 2-dof trajectory (an integrated field's or an
    /// iterated map's) cross q2 = 0 upwards with p2 > 0, located by linear interpolation between
    /// consecutive samples (error O(Δt²) in the sample spacing). Empty unless the state has
    /// four components.
    public static func poincareSection(of trajectory: Trajectory) -> [(Double, Double)] {
        guard trajectory.dimension == 4 else { return [] }
        // State layout (q1, q2, p1, p2).
        var points: [(Double, Double)] = []
        for k in 1..<max(1, trajectory.count) {
            let a = trajectory.state(k - 1), b = trajectory.state(k)
            let (qa, qb) = (a[a.startIndex + 1], b[b.startIndex + 1])
            if qa < 0 && qb >= 0 && b[b.startIndex + 3] > 0 {
                let s = -qa / (qb - qa)
                points.append((a[a.startIndex] + s * (b[b.startIndex] - a[a.startIndex]),
                               a[a.startIndex + 2] + s * (b[b.startIndex + 2] - a[a.startIndex + 2])))
            }
        }
        return points
    }
}
