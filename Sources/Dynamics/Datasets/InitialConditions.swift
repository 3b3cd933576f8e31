import Foundation
import Symbolic

/// Initial-condition samplers reproducing the papers' dataset specifications, with the
/// sample counts, time spans, splits and parameters those papers used.
public enum InitialConditions {
    /// A paper's recipe for one system.
    public struct Recipe: Sendable {
        public var sampler: String
        public var trajectories: Int
        public var samples: Int
        public var duration: Double
        public var testFraction: Double
        public var noise: Double
        /// Parameter values the paper used (overriding the catalog's defaults).
        public var parameters: [String: Double]
        public var source: String
    }

    /// The recipe for a catalog system and, optionally, a named paper's recipe for it
    /// (`songjeong`: Song & Jeong app. A.1; `bondesan`: Bondesan & Lamacraft, section 4).
    public static func recipe(for system: String, sampler: String) throws -> Recipe {
        switch (sampler, system) {
        case ("songjeong", _):
            // Samples and spans from app. A.1 (N = 10,000 trajectories per system); the paper
            // gives no initial-state distribution, so the SCNN / Greydanus samplers are used.
            let spec: [String: (Int, Double, String, [String: Double])] = [
                "harmonic": (100, 10, "greydanus", ["m": 1, "k": 1]), "pendulum": (100, 10, "greydanus", ["m": 1, "l": 1, "g": 1]),
                "doublependulum": (200, 20, "scnn", [:]), "twobody": (200, 20, "scnn", [:]), "threebody": (100, 10, "scnn", [:]),
                "magneticmirror": (200, 20, "box", [:]),
            ]
            guard let (samples, duration, base, parameters) = spec[system] else {
                throw CatalogError(message: "Song & Jeong's recipes cover harmonic, pendulum, doublependulum, twobody, threebody and magneticmirror, not \(system)")
            }
            return Recipe(sampler: base, trajectories: 10_000, samples: samples, duration: duration, testFraction: 0.2, noise: 0,
                          parameters: parameters, source: "Song & Jeong app. A.1 (initial states: \(base) sampler)")
        case ("bondesan", "neumann"):
            return Recipe(sampler: "sphere", trajectories: 1, samples: 128, duration: 20, testFraction: 0, noise: 0, parameters: [:],
                          source: "Bondesan & Lamacraft section 4: positions on a sphere of radius r, 128 samples")
        case ("bondesan", "kepler2d"), ("bondesan", "kepler3d"), ("bondesan", "calogero"):
            return Recipe(sampler: system == "calogero" ? "box" : "orbits", trajectories: 1, samples: 128, duration: 2 * Double.pi, testFraction: 0,
                          noise: 0, parameters: [:], source: "Bondesan & Lamacraft section 4: one trajectory, 128 samples")
        case ("bondesan", _):
            throw CatalogError(message: "Bondesan & Lamacraft's recipes cover neumann, kepler2d, kepler3d and calogero, not \(system)")
        default:
            var r = recipe(for: system)
            r.sampler = sampler
            return r
        }
    }

    /// The recipe for a catalog system: the paper's where one exists, otherwise a box sampler.
    public static func recipe(for system: String) -> Recipe {
        switch system {
        case "twobody":
            return Recipe(sampler: "scnn", trajectories: 1000, samples: 50, duration: 20, testFraction: 0.2, noise: 0, parameters: [:], source: "SCNN B.1")
        case "threebody":
            return Recipe(sampler: "scnn", trajectories: 5000, samples: 20, duration: 5, testFraction: 0.2, noise: 0, parameters: [:], source: "SCNN B.2")
        case "sphericalpendulum":
            return Recipe(sampler: "scnn", trajectories: 100, samples: 500, duration: 10, testFraction: 0.2, noise: 0, parameters: [:], source: "SCNN B.4")
        case "chargedparticle":
            return Recipe(sampler: "scnn", trajectories: 100, samples: 500, duration: 10, testFraction: 0.2, noise: 0, parameters: [:], source: "SCNN B.5")
        case "doublependulum":
            return Recipe(sampler: "scnn", trajectories: 100, samples: 500, duration: 10, testFraction: 0.2, noise: 0, parameters: [:], source: "SCNN B.6")
        case "harmonic":
            return Recipe(sampler: "greydanus", trajectories: 50, samples: 30, duration: 3, testFraction: 0.5, noise: 0.1,
                          parameters: ["m": 0.5, "k": 2], source: "Greydanus et al., spring H = q^2 + p^2")
        case "pendulum":
            return Recipe(sampler: "greydanus", trajectories: 50, samples: 45, duration: 3, testFraction: 0.5, noise: 0.1,
                          parameters: ["m": 0.5, "l": 1, "g": 6], source: "Greydanus et al., H = 3(1 - cos q) + p^2")
        case "kepler2d", "kepler3d":
            return Recipe(sampler: "orbits", trajectories: 100, samples: 100, duration: 10, testFraction: 0.2, noise: 0, parameters: [:],
                          source: "bound orbits, r in [0.5, 1.5], 0.8-1.2 times the circular speed")
        default:
            if system.hasPrefix("oscillators") {
                return Recipe(sampler: "scnn", trajectories: 100, samples: 500, duration: 10, testFraction: 0.5, noise: 0, parameters: [:], source: "SCNN B.3")
            }
            return Recipe(sampler: "box", trajectories: 100, samples: 100, duration: 10, testFraction: 0.2, noise: 0, parameters: [:],
                          source: "uniform box [-1, 1] in every coordinate")
        }
    }

    /// One initial state for `system` (the catalog name without options) from `sampler`.
    /// `energy` evaluates H, so samplers can reject states (the spherical pendulum needs H < 0).
    public static func sample(_ system: String, sampler: String, dimension: Int, _ rng: inout SeededGenerator,
                              radius: Double = 3, box: (low: Double, high: Double) = (-1, 1), energy: ([Double]) -> Double) throws -> [Double] {
        switch (sampler, system) {
        case ("scnn", "twobody"): return twoBodyNearCircular(&rng)
        case ("scnn", "threebody"): return threeBodyTriangle(&rng)
        case ("scnn", _) where system.hasPrefix("oscillators"):
            // B.3: uniform entries in (0, 2), normalised, rescaled to a length in (0.2, 2).
            return scaledDirection(dimension, &rng, entries: (0, 2), length: (0.2, 2))
        case ("scnn", "sphericalpendulum"):
            // B.4: uniform in (-1, 1), keeping states inside the sphere with negative energy.
            for _ in 0..<10_000 {
                let x = (0..<dimension).map { _ in rng.uniform(-1, 1) }
                if x[0] * x[0] + x[1] * x[1] < 1, energy(x) < 0 { return x }
            }
            throw CatalogError(message: "no state with negative energy found for the spherical pendulum")
        case ("scnn", "chargedparticle"):
            return scaledDirection(dimension, &rng, entries: (-1, 1), length: (0.1, 1))
        case ("scnn", "doublependulum"):
            // B.6: angles uniform in (0, 2π), at rest.
            return [rng.uniform(0, 2 * Double.pi), rng.uniform(0, 2 * Double.pi), 0, 0]
        case ("greydanus", "harmonic"):
            // A random direction in (q, p) with radius uniform in [0.1, 1].
            return scaledDirection(2, &rng, entries: (-1, 1), length: (0.1, 1))
        case ("greydanus", "pendulum"):
            return scaledDirection(2, &rng, entries: (-1, 1), length: (1.3, 2.3))
        case ("orbits", "kepler2d"), ("orbits", "kepler3d"):
            let n = dimension / 2
            let r = rng.uniform(0.5, 1.5)
            let direction = scaledDirection(n, &rng, entries: (-1, 1), length: (1, 1))
            // A velocity direction perpendicular to the position (Gram–Schmidt on a random vector).
            var v = (0..<n).map { _ in rng.normal() }
            let along = zip(v, direction).reduce(0) { $0 + $1.0 * $1.1 }
            v = zip(v, direction).map { $0 - along * $1 }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let speed = rng.uniform(0.8, 1.2) * (1 / r).squareRoot()
            return direction.map { $0 * r } + v.map { $0 / norm * speed }
        case ("sphere", "neumann"):
            // Positions uniform on the sphere |q| = radius (the constraint of the model), momenta
            // a random tangent vector (q·p = 0) of unit length.
            let n = dimension / 2
            let q = scaledDirection(n, &rng, entries: (-1, 1), length: (radius, radius))
            var p = (0..<n).map { _ in rng.normal() }
            let along = zip(p, q).reduce(0) { $0 + $1.0 * $1.1 } / (radius * radius)
            p = zip(p, q).map { $0 - along * $1 }
            let norm = p.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return q + p.map { $0 / norm }
        case ("box", _):
            return (0..<dimension).map { _ in rng.uniform(box.low, box.high) }
        default:
            throw CatalogError(message: "sampler '\(sampler)' has no recipe for \(system) (samplers: scnn, greydanus, orbits, sphere, box; recipes: songjeong, bondesan)")
        }
    }

    static func scaledDirection(_ n: Int, _ rng: inout SeededGenerator, entries: (Double, Double), length: (Double, Double)) -> [Double] {
        var v = (0..<n).map { _ in rng.uniform(entries.0, entries.1) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let target = rng.uniform(length.0, length.1)
        if norm > 0 { v = v.map { $0 / norm * target } }
        return v
    }

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

    /// SCNN appendix B.2: three unit masses on an equilateral triangle of circumradius
    /// R ~ U[0.9, 1.2], randomly rotated, each moving at (1 + ε) times the circular speed
    /// 1/sqrt(√3 R) plus a common drift; ε ~ N(0, 0.05²), drift ~ N(0, 0.1²).
    /// State (qx1, qy1, qx2, qy2, qx3, qy3, px1, …, py3).
    public static func threeBodyTriangle(_ rng: inout SeededGenerator) -> [Double] {
        let R = rng.uniform(0.9, 1.2), phase = rng.uniform(0, 2 * Double.pi)
        let speed = (1 / (3.0.squareRoot() * R)).squareRoot()
        let drift = [rng.normal(standardDeviation: 0.1), rng.normal(standardDeviation: 0.1)]
        let scale = 1 + rng.normal(standardDeviation: 0.05)
        var q: [Double] = [], p: [Double] = []
        for k in 0..<3 {
            let angle = phase + 2 * Double.pi * Double(k) / 3
            q += [R * cos(angle), R * sin(angle)]
            p += [-scale * speed * sin(angle) + drift[0], scale * speed * cos(angle) + drift[1]]
        }
        return q + p
    }
}

