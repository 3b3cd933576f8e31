import Symbolic

/// The papers' other systems (SCNN, Song & Jeong, Li et al., the tutorial).
extension Catalog {
    static let moreEntries: [Entry] = [
        Entry(name: "doublependulum", summary: "double pendulum (chaotic; only H is conserved)", options: []) { _ in doublePendulum() },
        Entry(name: "sphericalpendulum", summary: "spherical pendulum in projected coordinates (SCNN eq. 19): L", options: []) { _ in sphericalPendulum() },
        Entry(name: "chargedparticle", summary: "charged particle in a magnetic field plus a central force (SCNN eq. 23): L", options: []) { _ in chargedParticle() },
        Entry(name: "magneticmirror", summary: "magnetic bottle of Efthymiopoulos et al. (Song & Jeong app. A.1)", options: []) { _ in magneticMirror() },
        Entry(name: "ringworld", summary: "ringworld of Li et al.: H = |p|^2/2 + (|q| - 2)^2/0.32, L", options: []) { _ in ringworld() },
        Entry(name: "oscillators", summary: "n coupled oscillators with rational frequencies (SCNN eq. 14): mode energies E1..En",
              options: [("n", 3), ("seed", 0)]) { o in try coupledOscillators(n: o["n"] ?? 3, seed: o["seed"] ?? 0) },
        Entry(name: "chain", summary: "harmonic chain with fixed ends (Li et al.): normal modes at 2 sin(pi k/(2n+2))",
              options: [("n", 8)]) { o in try harmonicChain(n: o["n"] ?? 8) },
        Entry(name: "lennardjones", summary: "Lennard-Jones cluster of n particles in the plane: Px, Py, L",
              options: [("n", 3)]) { o in try lennardJones(n: o["n"] ?? 3) },
        Entry(name: "toda", summary: "open Toda lattice, H = sum p^2/2 + sum exp(q_i - q_{i+1}): Flaschka's Lax invariants tr L^k",
              options: [("n", 3)]) { o in try toda(n: o["n"] ?? 3) },
    ]

    /// The open (non-periodic) Toda lattice `H = Σ p_i²/2 + Σ_{i<n} exp(q_i − q_{i+1})` with the
    /// invariants `T_k = tr L^k`, k = 1…n, of Flaschka's Lax matrix, here scaled by −2 so that
    /// its entries are plain: L is tridiagonal with `L_ii = p_i` and `L_{i,i+1} = L_{i+1,i} =
    /// exp((q_i − q_{i+1})/2)`. A closed walk on a path uses each edge an even number of times,
    /// so only `exp(q_i − q_{i+1})` appears, and `T_2 = 2H`.
    static func toda(n: Int) throws -> HamiltonianSystem {
        // n = 10 builds its invariants in seconds; n = 12 took 50 s before the band was used.
        guard (2...10).contains(n) else { throw CatalogError(message: "toda needs 2 <= n <= 10, got n = \(n)") }
        let q = (1...n).map { sym("q\($0)") }, p = (1...n).map { sym("p\($0)") }
        let E = (0..<(n - 1)).map { Expr.apply(.exp, q[$0] - q[$0 + 1]) }
        // The off-diagonal entries as placeholder symbols, replaced after expanding: a_i^(2m) is E_i^m.
        let a = (0..<(n - 1)).map { sym("toda_a\($0)") }
        var index: [String: Int] = [:]
        for i in 0..<(n - 1) { index["toda_a\(i)"] = i }
        func lower(_ e: Expr) -> Expr {
            switch e.kind {
            case .sum(let ts): return .sum(ts.map(lower))
            case .product(let c, let fs): return .product([.number(c)] + fs.map(lower))
            case .power(let b, let x):
                if case .symbol(let s) = b.kind, let i = index[s], let k = x.rationalValue?.intValue {
                    precondition(k % 2 == 0, "an odd power of a Toda off-diagonal entry in a trace")
                    return E[i] ** (k / 2)
                }
                return e
            case .symbol(let s):
                precondition(index[s] == nil, "an odd power of a Toda off-diagonal entry in a trace")
                return e
            default: return e
            }
        }
        // M ← M L for the tridiagonal L, expanded entry by entry. L^k is symmetric with k bands
        // on each side: only the upper band is computed.
        var M: [[Expr]] = (0..<n).map { i in (0..<n).map { j in i == j ? p[i] : (j == i + 1 ? a[i] : (i == j + 1 ? a[j] : 0)) } }
        var invariants: [HamiltonianSystem.Invariant] = []
        for k in 1...n {
            if k > 1 {
                var next = [[Expr]](repeating: [Expr](repeating: 0, count: n), count: n)
                for i in 0..<n {
                    for j in i..<min(n, i + k + 1) {
                        var terms = [M[i][j] * p[j]]
                        if j > 0 { terms.append(M[i][j - 1] * a[j - 1]) }
                        if j < n - 1 { terms.append(M[i][j + 1] * a[j]) }
                        next[i][j] = Expr.sum(terms).expand()
                        next[j][i] = next[i][j]
                    }
                }
                M = next
            }
            let trace = lower(Expr.sum((0..<n).map { M[$0][$0] }).expand())
            invariants.append(.init(name: "T\(k)", expr: trace, meaning: "tr L^\(k)"))
        }
        return HamiltonianSystem(
            name: "toda(n: \(n))", title: "Open Toda lattice, \(n) particles",
            reference: "Flaschka, Phys. Rev. B 9, 1924 (1974); P13",
            pairs: (1...n).map { CanonicalPair("q\($0)", "p\($0)") }, parameters: [],
            hamiltonian: .sum(p.map { $0 ** 2 }) / 2 + .sum(E), invariants: invariants)
    }

    static func doublePendulum() -> HamiltonianSystem {
        let (q1, q2, p1, p2) = (sym("q1"), sym("q2"), sym("p1"), sym("p2"))
        let (m1, m2, l1, l2, g) = (sym("m1"), sym("m2"), sym("l1"), sym("l2"), sym("g"))
        let c = Expr.apply(.cos, q1 - q2), s = Expr.apply(.sin, q1 - q2)
        let kinetic = (m2 * l2 ** 2 * p1 ** 2 + (m1 + m2) * l1 ** 2 * p2 ** 2 - 2 * m2 * l1 * l2 * p1 * p2 * c)
            / (2 * m2 * l1 ** 2 * l2 ** 2 * (m1 + m2 * s ** 2))
        return HamiltonianSystem(
            name: "doublependulum", title: "Double pendulum", reference: "Song & Jeong (papers/004), app. A.1; SCNN (papers/001), B.6",
            pairs: [CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")],
            parameters: ["m1", "m2", "l1", "l2", "g"].map { .init(name: $0, defaultValue: 1, meaning: $0.hasPrefix("m") ? "mass" : ($0 == "g" ? "gravity" : "length")) },
            hamiltonian: kinetic - (m1 + m2) * g * l1 * .apply(.cos, q1) - m2 * g * l2 * .apply(.cos, q2),
            invariants: [])
    }

    static func sphericalPendulum() -> HamiltonianSystem {
        let (qx, qy, px, py, m, g, l) = (sym("qx"), sym("qy"), sym("px"), sym("py"), sym("m"), sym("g"), sym("l"))
        return HamiltonianSystem(
            name: "sphericalpendulum", title: "Spherical pendulum (projected coordinates)", reference: "SCNN (papers/001), app. A.1, eqs. 19-20",
            pairs: [CanonicalPair("qx", "px"), CanonicalPair("qy", "py")],
            parameters: [.init(name: "m", defaultValue: 2, meaning: "mass"), .init(name: "g", defaultValue: 2, meaning: "gravity"),
                         .init(name: "l", defaultValue: 1, meaning: "length")],
            hamiltonian: (px ** 2 + py ** 2) / (2 * m) - m * g * .sqrt(l ** 2 - qx ** 2 - qy ** 2),
            invariants: [.init(name: "L", expr: qx * py - qy * px, meaning: "angular momentum about the vertical")])
    }

    static func chargedParticle() -> HamiltonianSystem {
        let (qx, qy, px, py) = (sym("qx"), sym("qy"), sym("px"), sym("py"))
        let (m, e, B, k) = (sym("m"), sym("e"), sym("B"), sym("k"))
        return HamiltonianSystem(
            name: "chargedparticle", title: "Charged particle in a magnetic field", reference: "SCNN (papers/001), app. A.2, eqs. 23-24",
            pairs: [CanonicalPair("qx", "px"), CanonicalPair("qy", "py")],
            parameters: [.init(name: "m", defaultValue: Rational(1, 2), meaning: "mass"), .init(name: "e", defaultValue: 1, meaning: "charge"),
                         .init(name: "B", defaultValue: 1, meaning: "magnetic field"), .init(name: "k", defaultValue: 1, meaning: "central force constant")],
            hamiltonian: ((px + e * qy * B) ** 2 + (py - e * qx * B) ** 2) / (2 * m) + k * (qx ** 2 + qy ** 2),
            invariants: [.init(name: "L", expr: qx * py - qy * px, meaning: "canonical angular momentum")])
    }

    static func magneticMirror() -> HamiltonianSystem {
        let (rho, z, prho, pz) = (sym("rho"), sym("z"), sym("prho"), sym("pz"))
        func r(_ n: Int, _ d: Int) -> Rational { Rational(n, d) }
        let potential: Expr = .sum([rho ** 2 / 2, rho ** 2 * z ** 2 / 2, .rational(r(-1, 8)) * rho ** 4, .rational(r(1, 8)) * rho ** 2 * z ** 4,
                                    .rational(r(-1, 16)) * rho ** 4 * z ** 2, .rational(r(1, 128)) * rho ** 6])
        return HamiltonianSystem(
            name: "magneticmirror", title: "Magnetic mirror (bottle)", reference: "Song & Jeong (papers/004), app. A.1, after Efthymiopoulos et al.",
            pairs: [CanonicalPair("rho", "prho"), CanonicalPair("z", "pz")], parameters: [],
            hamiltonian: (prho ** 2 + pz ** 2) / 2 + potential, invariants: [])
    }

    static func ringworld() -> HamiltonianSystem {
        let (q1, q2, p1, p2) = (sym("q1"), sym("q2"), sym("p1"), sym("p2"))
        return HamiltonianSystem(
            name: "ringworld", title: "Ringworld", reference: "Li, Dong, Zhang, Wang (papers/002), section IV A",
            pairs: [CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")], parameters: [],
            hamiltonian: (p1 ** 2 + p2 ** 2) / 2 + (Expr.sqrt(q1 ** 2 + q2 ** 2) - 2) ** 2 / .rational(Rational(8, 25)),
            invariants: [.init(name: "L", expr: q1 * p2 - q2 * p1, meaning: "angular momentum")])
    }

    /// SCNN eq. 14: H = Σ p_i²/(2m) + Σ q_i A_ij q_j with m = 1/2 and A = S D² Sᵀ, D_i uniform in
    /// [1, √10] rounded to one digit (rational frequencies), S orthogonal. S is the Cayley
    /// transform (I − K)(I + K)⁻¹ of a random rational skew matrix, so A, the normal
    /// coordinates Q = Sᵀq, P = Sᵀp and the mode energies E_i = P_i² + D_i² Q_i² are exact.
    static func coupledOscillators(n: Int, seed: Int) throws -> HamiltonianSystem {
        guard (2...8).contains(n) else { throw CatalogError(message: "oscillators needs 2 <= n <= 8, got n = \(n)") }
        var rng = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)))
        let d2: [Rational] = (0..<n).map { _ in
            let d = (rng.uniform(1, 10.0.squareRoot()) * 10).rounded()
            return Rational(Int(d) * Int(d), 100)
        }
        var K = [[Rational]](repeating: [Rational](repeating: .zero, count: n), count: n)
        for i in 0..<n { for j in (i + 1)..<n where j < n {
            let v = Rational(Int((rng.uniform(-1, 1) * 5).rounded()), 5)
            K[i][j] = v; K[j][i] = -v
        } }
        let identity = (0..<n).map { i in (0..<n).map { j in i == j ? Rational.one : .zero } }
        let minus = (0..<n).map { i in (0..<n).map { j in identity[i][j] - K[i][j] } }
        let plus = (0..<n).map { i in (0..<n).map { j in identity[i][j] + K[i][j] } }
        guard let inverse = RationalMatrix.inverse(plus) else { throw CatalogError(message: "singular Cayley matrix (seed \(seed))") }
        let S = RationalMatrix.product(minus, inverse)
        let q = (1...n).map { sym("q\($0)") }, p = (1...n).map { sym("p\($0)") }
        var A = [[Rational]](repeating: [Rational](repeating: .zero, count: n), count: n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { A[i][j] += S[i][k] * d2[k] * S[j][k] } } }
        var potential: [Expr] = []
        for i in 0..<n { for j in 0..<n where !A[i][j].isZero { potential.append(.rational(A[i][j]) * q[i] * q[j]) } }
        let H = Expr.sum(p.map { $0 ** 2 }) + .sum(potential)
        let invariants: [HamiltonianSystem.Invariant] = (0..<n).map { k in
            let Q = Expr.sum((0..<n).map { .rational(S[$0][k]) * q[$0] }), P = Expr.sum((0..<n).map { .rational(S[$0][k]) * p[$0] })
            return .init(name: "E\(k + 1)", expr: (P ** 2 + .rational(d2[k]) * Q ** 2).expand(),
                         meaning: "energy of normal mode \(k + 1), frequency^2/4 = \(d2[k])")
        }
        return HamiltonianSystem(
            name: "oscillators(n: \(n), seed: \(seed))", title: "\(n) coupled oscillators", reference: "SCNN (papers/001), eqs. 14-15 and B.3",
            pairs: (1...n).map { CanonicalPair("q\($0)", "p\($0)") }, parameters: [], hamiltonian: H, invariants: invariants)
    }

    /// H = Σ p_i²/2 + Σ_{i=0}^{n} (q_{i+1} − q_i)²/2 with q_0 = q_{n+1} = 0: normal modes
    /// q_j ∝ sin(π j k/(n+1)) at ω_k = 2 sin(π k/(2n+2)).
    static func harmonicChain(n: Int) throws -> HamiltonianSystem {
        guard (2...64).contains(n) else { throw CatalogError(message: "chain needs 2 <= n <= 64, got n = \(n)") }
        let q = (1...n).map { sym("q\($0)") }, p = (1...n).map { sym("p\($0)") }
        var springs: [Expr] = [q[0] ** 2, q[n - 1] ** 2]
        for i in 0..<(n - 1) { springs.append((q[i + 1] - q[i]) ** 2) }
        return HamiltonianSystem(
            name: "chain(n: \(n))", title: "Harmonic chain of \(n) masses with fixed ends", reference: "Li, Dong, Zhang, Wang (papers/002), section IV B",
            pairs: (1...n).map { CanonicalPair("q\($0)", "p\($0)") }, parameters: [],
            hamiltonian: .sum(p.map { $0 ** 2 }) / 2 + .sum(springs) / 2, invariants: chainModeEnergies(n: n))
    }

    /// The chain's normal-mode energies E_k = (P_k² + ω_k² Q_k²)/2, Q_k = √(2/(n+1)) Σ_i
    /// sin(π i k/(n+1)) q_i (P_k likewise), ω_k² = 2 − 2 cos(π k/(n+1)), exactly: for n + 1 = 3,
    /// 4 or 6 the sines are 0, ±1/2, ±√2/2, ±√3/2, ±1 and the invariants are written with them.
    /// Other n are given without invariants: some need nested square roots (sin(π/5) =
    /// √(10 − 2√5)/4 for n = 4), which this table does not hold, and some have no real radicals
    /// at all (sin(π/9), n = 8).
    static func chainModeEnergies(n: Int) -> [HamiltonianSystem.Invariant] {
        let N = n + 1
        guard [3, 4, 6].contains(N) else { return [] }
        // sin(π j/12) for j = 0, …, 23, where j is a multiple of 2 or 3.
        func sine(_ j: Int) -> Expr {
            let r = ((j % 24) + 24) % 24, sign: Expr = r < 12 ? 1 : -1, a = r % 12, m = min(a, 12 - a)
            let value: Expr = m == 0 ? 0 : m == 2 ? .rational(Rational(1, 2)) : m == 3 ? .sqrt(2) / 2 : m == 4 ? .sqrt(3) / 2 : m == 6 ? 1 : .undefined
            precondition(!value.isUndefined, "sin(pi \(j)/12) is not tabled")
            return sign * value
        }
        let step = 12 / N, norm = Expr.sqrt(.rational(Rational(2, N)))
        let q = (1...n).map { sym("q\($0)") }, p = (1...n).map { sym("p\($0)") }
        return (1...n).map { k in
            let Q = norm * .sum((1...n).map { sine($0 * k * step) * q[$0 - 1] })
            let P = norm * .sum((1...n).map { sine($0 * k * step) * p[$0 - 1] })
            let w2 = 2 - 2 * sine(6 - k * step)
            return .init(name: "E\(k)", expr: ((P ** 2 + w2 * Q ** 2) / 2).expand(),
                         meaning: "energy of normal mode \(k), omega^2 = \(TextPrinter().print(w2))")
        }
    }

    /// H = Σ |p_i|²/2 + Σ_{i<j} 4ε((σ²/r²)⁶ − (σ²/r²)³) in the plane.
    static func lennardJones(n: Int) throws -> HamiltonianSystem {
        guard (2...16).contains(n) else { throw CatalogError(message: "lennardjones needs 2 <= n <= 16, got n = \(n)") }
        let x = (1...n).map { sym("x\($0)") }, y = (1...n).map { sym("y\($0)") }
        let px = (1...n).map { sym("px\($0)") }, py = (1...n).map { sym("py\($0)") }
        let (epsilon, sigma) = (sym("epsilon"), sym("sigma"))
        var terms: [Expr] = (0..<n).map { (px[$0] ** 2 + py[$0] ** 2) / 2 }
        for i in 0..<n { for j in (i + 1)..<n where j < n {
            let s = sigma ** 2 / ((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2)
            terms.append(4 * epsilon * (s ** 6 - s ** 3))
        } }
        return HamiltonianSystem(
            name: "lennardjones(n: \(n))", title: "Lennard-Jones cluster of \(n) particles in the plane", reference: "tutorial (papers/003), section 8",
            pairs: (0..<n).flatMap { [CanonicalPair("x\($0 + 1)", "px\($0 + 1)"), CanonicalPair("y\($0 + 1)", "py\($0 + 1)")] },
            parameters: [.init(name: "epsilon", defaultValue: 1, meaning: "well depth"), .init(name: "sigma", defaultValue: 1, meaning: "length scale")],
            hamiltonian: .sum(terms),
            invariants: [.init(name: "Px", expr: .sum(px), meaning: "total momentum, x"), .init(name: "Py", expr: .sum(py), meaning: "total momentum, y"),
                         .init(name: "L", expr: .sum((0..<n).map { x[$0] * py[$0] - y[$0] * px[$0] }), meaning: "total angular momentum")])
    }
}

/// Exact small dense matrices over ℚ.
enum RationalMatrix {
    static func product(_ a: [[Rational]], _ b: [[Rational]]) -> [[Rational]] {
        let n = a.count, m = b[0].count, k = b.count
        return (0..<n).map { i in (0..<m).map { j in (0..<k).reduce(Rational.zero) { $0 + a[i][$1] * b[$1][j] } } }
    }

    /// Gauss–Jordan elimination; nil when singular.
    static func inverse(_ a: [[Rational]]) -> [[Rational]]? {
        let n = a.count
        var m = a.enumerated().map { i, row in row + (0..<n).map { $0 == i ? Rational.one : .zero } }
        for col in 0..<n {
            guard let pivot = (col..<n).first(where: { !m[$0][col].isZero }) else { return nil }
            m.swapAt(col, pivot)
            let inv = m[col][col].reciprocal
            m[col] = m[col].map { $0 * inv }
            for r in 0..<n where r != col && !m[r][col].isZero {
                let f = m[r][col]
                m[r] = zip(m[r], m[col]).map { $0 - f * $1 }
            }
        }
        return m.map { Array($0[n...]) }
    }
}
