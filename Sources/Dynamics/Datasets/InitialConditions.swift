import Symbolic

/// Initial-condition samplers reproducing the papers' dataset specifications.
public enum InitialConditions {
    /// SCNN appendix B.1 (and `shared/peers/scipy_integrate.py`): two unit masses, g = 1,
    /// q1 ~ U[0.5, 1.5]², q2 = −q1, momenta perpendicular at the circular speed with 5 %
    /// spread plus a centre-of-mass drift ~ N(0, 0.1²). State (qx1, qy1, qx2, qy2, px1, py1, px2, py2).
    public static func twoBodyNearCircular(_ rng: inout SeededGenerator) -> [Double] {
        let q1 = [rng.uniform(0.5, 1.5), rng.uniform(0.5, 1.5)]
        let q2 = [-q1[0], -q1[1]]
        let r = (4 * (q1[0] * q1[0] + q1[1] * q1[1])).squareRoot()
        let v = (1 / (2 * r)).squareRoot()
        let norm = (q1[0] * q1[0] + q1[1] * q1[1]).squareRoot()
        let perpendicular = [-q1[1] / norm, q1[0] / norm]
        let drift = [rng.normal(standardDeviation: 0.1), rng.normal(standardDeviation: 0.1)]
        let scale = (1 + rng.normal(standardDeviation: 0.05)) * v
        let p1 = [scale * perpendicular[0] + drift[0], scale * perpendicular[1] + drift[1]]
        let p2 = [-p1[0] + 2 * drift[0], -p1[1] + 2 * drift[1]]
        return q1 + q2 + p1 + p2
    }
}
