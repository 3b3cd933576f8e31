import Symbolic

/// The systems of the papers, by name. Names are part of the language: notebooks rely on them.
public enum Catalog {
    public struct Entry: Sendable {
        public var name: String
        public var summary: String
        /// Integer options (`n`, `harmonic`) with their defaults.
        public var options: [(String, Int)]
        let build: @Sendable ([String: Int]) throws -> HamiltonianSystem
    }

    public static let entries: [Entry] = firstEntries + moreEntries

    static let firstEntries: [Entry] = [
        Entry(name: "harmonic", summary: "harmonic oscillator, H = p^2/(2 m) + k q^2/2", options: []) { _ in harmonic() },
        Entry(name: "pendulum", summary: "simple pendulum, H = p^2/(2 m l^2) + m g l (1 - cos q)", options: []) { _ in pendulum() },
        Entry(name: "kepler2d", summary: "Kepler problem in the plane: L and the Laplace-Runge-Lenz vector", options: []) { _ in kepler2d() },
        Entry(name: "kepler3d", summary: "Kepler problem in space: L1..L3 and the Laplace-Runge-Lenz vector A1..A3", options: []) { _ in kepler3d() },
        Entry(name: "twobody", summary: "two bodies in the plane with gravity: total momentum and angular momentum", options: []) { _ in twoBody() },
        Entry(name: "threebody", summary: "three bodies in the plane with gravity: total momentum and angular momentum", options: []) { _ in threeBody() },
        Entry(name: "neumann", summary: "Neumann model, n oscillators on a sphere: integrals I1..In", options: [("n", 3)]) { o in try neumann(n: o["n"] ?? 3) },
        Entry(name: "calogero", summary: "Calogero-Moser model: Lax invariants tr L^k (harmonic: 1 adds w and tr (L+ L-)^k)",
              options: [("n", 3), ("harmonic", 0)]) { o in try calogeroMoser(n: o["n"] ?? 3, harmonic: (o["harmonic"] ?? 0) != 0) },
    ]

    /// Fixed names for common instances: `neumann3`, `calogero3`, `calogero3w`.
    public static let aliases: [String: (String, [String: Int])] = [
        "neumann3": ("neumann", ["n": 3]),
        "calogero3": ("calogero", ["n": 3, "harmonic": 0]),
        "calogero3w": ("calogero", ["n": 3, "harmonic": 1]),
        "twobody2d": ("twobody", [:]),
        "threebody2d": ("threebody", [:]),
        "two-body": ("twobody", [:]),
        "three-body": ("threebody", [:]),
    ]

    public static var names: [String] { entries.map(\.name) + aliases.keys.sorted() }

    /// The system called `name` (an entry or an alias), with integer options such as `n`.
    public static func system(_ name: String, options: [String: Int] = [:]) throws -> HamiltonianSystem {
        var entryName = name, merged = options
        if let (target, preset) = aliases[name] {
            entryName = target
            merged = preset.merging(options) { _, given in given }
        }
        guard let entry = entries.first(where: { $0.name == entryName }) else {
            var message = "no system '\(name)' in the catalog"
            if let s = ExprBuilder.suggestion(for: name, among: names) { message += "; did you mean '\(s)'?" }
            throw CatalogError(message: message + " (systems: \(entries.map(\.name).joined(separator: ", ")))")
        }
        for key in merged.keys where !entry.options.contains(where: { $0.0 == key }) {
            let known = entry.options.map(\.0)
            throw CatalogError(message: "\(entryName) has no option '\(key)'" + (known.isEmpty ? "" : " (options: \(known.joined(separator: ", ")))"))
        }
        return try entry.build(merged)
    }

    /// The system a built system's `name` describes: a bare catalog name ("twobody") or one with
    /// its options as the catalog writes them ("oscillators(n: 3, seed: 0)"), so that data made
    /// from a parameterised system can rebuild it.
    public static func system(described name: String) throws -> HamiltonianSystem {
        guard let open = name.firstIndex(of: "("), name.hasSuffix(")") else { return try system(name) }
        var options: [String: Int] = [:]
        for part in name[name.index(after: open)..<name.index(before: name.endIndex)].split(separator: ",") {
            let pieces = part.split(separator: ":").map { String($0.filter { $0 != " " }) }
            guard pieces.count == 2, !pieces[0].isEmpty, let value = Int(pieces[1]) else {
                throw CatalogError(message: "'\(name)' is not a catalog system with options (expected name(option: integer, ...))")
            }
            options[pieces[0]] = value
        }
        return try system(String(name[..<open]), options: options)
    }

    // MARK: Systems

    static func sym(_ s: String) -> Expr { .symbol(s) }
    static func half(_ e: Expr) -> Expr { e / 2 }

    static func harmonic() -> HamiltonianSystem {
        let (q, p, m, k) = (sym("q"), sym("p"), sym("m"), sym("k"))
        return HamiltonianSystem(
            name: "harmonic", title: "Harmonic oscillator", reference: "tutorial (papers/003), section 8",
            pairs: [CanonicalPair("q", "p")],
            parameters: [.init(name: "m", defaultValue: 1, meaning: "mass"), .init(name: "k", defaultValue: 1, meaning: "spring constant")],
            hamiltonian: p ** 2 / (2 * m) + k * q ** 2 / 2,
            invariants: [])
    }

    static func pendulum() -> HamiltonianSystem {
        let (q, p, m, l, g) = (sym("q"), sym("p"), sym("m"), sym("l"), sym("g"))
        return HamiltonianSystem(
            name: "pendulum", title: "Simple pendulum", reference: "tutorial (papers/003), sections 4 and 8; Greydanus et al.",
            pairs: [CanonicalPair("q", "p")],
            parameters: [.init(name: "m", defaultValue: 1, meaning: "mass"), .init(name: "l", defaultValue: 1, meaning: "length"),
                         .init(name: "g", defaultValue: 1, meaning: "gravitational acceleration")],
            hamiltonian: p ** 2 / (2 * m * l ** 2) + m * g * l * (1 - Expr.apply(.cos, q)),
            invariants: [])
    }

    static func kepler2d() -> HamiltonianSystem {
        let (q1, q2, p1, p2, k) = (sym("q1"), sym("q2"), sym("p1"), sym("p2"), sym("k"))
        let r = Expr.sqrt(q1 ** 2 + q2 ** 2)
        let L = q1 * p2 - q2 * p1
        return HamiltonianSystem(
            name: "kepler2d", title: "Kepler problem in the plane", reference: "Bondesan & Lamacraft (papers/000), section 4; tutorial (papers/003)",
            pairs: [CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")],
            parameters: [.init(name: "k", defaultValue: 1, meaning: "coupling, potential -k/r")],
            hamiltonian: (p1 ** 2 + p2 ** 2) / 2 - k / r,
            invariants: [
                .init(name: "L", expr: L, meaning: "angular momentum q x p"),
                .init(name: "A1", expr: p2 * L - k * q1 / r, meaning: "Laplace-Runge-Lenz vector A = p x L - k q/r, x component"),
                .init(name: "A2", expr: -p1 * L - k * q2 / r, meaning: "Laplace-Runge-Lenz vector, y component"),
            ])
    }

    public static func kepler3d() -> HamiltonianSystem {
        let q = (1...3).map { sym("q\($0)") }, p = (1...3).map { sym("p\($0)") }, k = sym("k")
        let r = Expr.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2)
        let L = [q[1] * p[2] - q[2] * p[1], q[2] * p[0] - q[0] * p[2], q[0] * p[1] - q[1] * p[0]]
        let A = [p[1] * L[2] - p[2] * L[1] - k * q[0] / r,
                 p[2] * L[0] - p[0] * L[2] - k * q[1] / r,
                 p[0] * L[1] - p[1] * L[0] - k * q[2] / r]
        return HamiltonianSystem(
            name: "kepler3d", title: "Kepler problem in space", reference: "Bondesan & Lamacraft (papers/000), section 4 and appendix B.1",
            pairs: (1...3).map { CanonicalPair("q\($0)", "p\($0)") },
            parameters: [.init(name: "k", defaultValue: 1, meaning: "coupling, potential -k/r")],
            hamiltonian: (p[0] ** 2 + p[1] ** 2 + p[2] ** 2) / 2 - k / r,
            invariants: (0..<3).map { .init(name: "L\($0 + 1)", expr: L[$0], meaning: "angular momentum q x p, component \($0 + 1)") }
                + (0..<3).map { .init(name: "A\($0 + 1)", expr: A[$0], meaning: "Laplace-Runge-Lenz vector p x L - k q/r, component \($0 + 1)") })
    }

    /// N bodies in the plane, `H = Σ |p_i|²/(2 m_i) − Σ_{i<j} g m_i m_j / |q_i − q_j|`.
    static func nBody(_ n: Int) -> (pairs: [CanonicalPair], params: [HamiltonianSystem.Parameter], H: Expr, Px: Expr, Py: Expr, L: Expr) {
        let qx = (1...n).map { sym("qx\($0)") }, qy = (1...n).map { sym("qy\($0)") }
        let px = (1...n).map { sym("px\($0)") }, py = (1...n).map { sym("py\($0)") }
        let m = (1...n).map { sym("m\($0)") }, g = sym("g")
        var terms: [Expr] = []
        for i in 0..<n { terms.append((px[i] ** 2 + py[i] ** 2) / (2 * m[i])) }
        for i in 0..<n { for j in (i + 1)..<n where j < n {
            terms.append(-g * m[i] * m[j] / .sqrt((qx[i] - qx[j]) ** 2 + (qy[i] - qy[j]) ** 2))
        } }
        let pairs = (0..<n).flatMap { [CanonicalPair("qx\($0 + 1)", "px\($0 + 1)"), CanonicalPair("qy\($0 + 1)", "py\($0 + 1)")] }
        let params = (1...n).map { HamiltonianSystem.Parameter(name: "m\($0)", defaultValue: 1, meaning: "mass of body \($0)") }
            + [.init(name: "g", defaultValue: 1, meaning: "gravitational coupling")]
        return (pairs, params, .sum(terms), .sum(px), .sum(py), .sum((0..<n).map { qx[$0] * py[$0] - qy[$0] * px[$0] }))
    }

    static func twoBody() -> HamiltonianSystem {
        let s = nBody(2)
        let (qx1, qy1, qx2, qy2) = (sym("qx1"), sym("qy1"), sym("qx2"), sym("qy2"))
        let (px1, py1, px2, py2) = (sym("px1"), sym("py1"), sym("px2"), sym("py2"))
        return HamiltonianSystem(
            name: "twobody", title: "Two bodies in the plane", reference: "SCNN (papers/001), eqs. 10-11; Greydanus et al.",
            pairs: s.pairs, parameters: s.params, hamiltonian: s.H,
            invariants: [
                .init(name: "Px", expr: s.Px, meaning: "total momentum, x"),
                .init(name: "Py", expr: s.Py, meaning: "total momentum, y"),
                .init(name: "L", expr: s.L, meaning: "total angular momentum"),
                .init(name: "Lrel", expr: (px1 - px2) * (qy1 - qy2) - (py1 - py2) * (qx1 - qx2),
                      meaning: "SCNN eq. 11 form; conserved when m1 = m2"),
            ])
    }

    static func threeBody() -> HamiltonianSystem {
        let s = nBody(3)
        return HamiltonianSystem(
            name: "threebody", title: "Three bodies in the plane", reference: "SCNN (papers/001), eqs. 12-13",
            pairs: s.pairs, parameters: s.params, hamiltonian: s.H,
            invariants: [
                .init(name: "Px", expr: s.Px, meaning: "total momentum, x"),
                .init(name: "Py", expr: s.Py, meaning: "total momentum, y"),
                .init(name: "L", expr: s.L, meaning: "total angular momentum"),
            ])
    }

    /// `H = ¼ Σ_{ij} J_ij² + ½ Σ a_i q_i²`, `J_ij = q_i p_j − q_j p_i`,
    /// `I_k = q_k² + Σ_{j≠k} J_kj²/(a_k − a_j)` (Bondesan & Lamacraft, appendix B.2).
    public static func neumann(n: Int) throws -> HamiltonianSystem {
        guard (2...10).contains(n) else { throw CatalogError(message: "neumann needs 2 <= n <= 10, got n = \(n)") }
        let q = (1...n).map { sym("q\($0)") }, p = (1...n).map { sym("p\($0)") }, a = (1...n).map { sym("a\($0)") }
        func J(_ i: Int, _ j: Int) -> Expr { q[i] * p[j] - q[j] * p[i] }
        var kinetic: [Expr] = []
        for i in 0..<n { for j in 0..<n where i != j { kinetic.append(J(i, j) ** 2) } }
        let H = Expr.sum(kinetic) / 4 + Expr.sum((0..<n).map { a[$0] * q[$0] ** 2 }) / 2
        let I = (0..<n).map { k in
            q[k] ** 2 + .sum((0..<n).filter { $0 != k }.map { j in J(k, j) ** 2 / (a[k] - a[j]) })
        }
        return HamiltonianSystem(
            name: n == 3 ? "neumann3" : "neumann(n: \(n))", title: "Neumann model, \(n) oscillators on a sphere",
            reference: "Bondesan & Lamacraft (papers/000), appendix B.2",
            pairs: (1...n).map { CanonicalPair("q\($0)", "p\($0)") },
            parameters: (1...n).map { .init(name: "a\($0)", defaultValue: Rational($0, 10), meaning: "frequency a_\($0) (distinct)") },
            hamiltonian: H,
            invariants: (0..<n).map { .init(name: "I\($0 + 1)", expr: I[$0], meaning: "Uhlenbeck integral I_\($0 + 1)") })
    }

    /// `H = ½ Σ (p_i² + ω² q_i²) + Σ_{j<k} g²/(q_j − q_k)²` with Lax matrix
    /// `L_ij = p_i δ_ij + (1 − δ_ij) i g/(q_i − q_j)` (Bondesan & Lamacraft, appendix B.3).
    /// At ω = 0 the invariants are `T_k = tr L^k`; with ω they are `C_k = tr (L⁺L⁻)^k`, `L± = L ± iωQ`.
    /// With `simplifyInvariants` false the traces stay as built by the index sums (the benchmark's form).
    public static func calogeroMoser(n: Int, harmonic: Bool, simplifyInvariants: Bool = true) throws -> HamiltonianSystem {
        guard (2...8).contains(n) else { throw CatalogError(message: "calogero needs 2 <= n <= 8, got n = \(n)") }
        // Measured: n = 5 takes 8 s to build the traces and 6 s to prove them; n = 6 grew past
        // 12 GB in five minutes. Refused up front rather than run out of memory.
        guard !harmonic || n <= 5 else {
            throw CatalogError(message: "calogero(harmonic: 1) needs n <= 5 (the exact traces tr (L+ L-)^k at n = \(n) outgrow memory); without the trap, harmonic: 0, n goes up to 8")
        }
        let q = (1...n).map { sym("q\($0)") }, p = (1...n).map { sym("p\($0)") }, g = sym("g"), w = sym("w")
        var potential: [Expr] = []
        for j in 0..<n { for k in (j + 1)..<n where k < n { potential.append(g ** 2 / (q[j] - q[k]) ** 2) } }
        var H = Expr.sum(p.map { $0 ** 2 }) / 2 + .sum(potential)
        if harmonic { H = H + w ** 2 * .sum(q.map { $0 ** 2 }) / 2 }
        let lax: [[Expr]] = (0..<n).map { i in (0..<n).map { j in i == j ? p[i] : Expr.i * g / (q[i] - q[j]) } }
        var matrix = lax
        if harmonic {
            // N = L⁺L⁻ with L± = L ± iωQ.
            let plus = (0..<n).map { i in (0..<n).map { j in i == j ? lax[i][j] + Expr.i * w * q[i] : lax[i][j] } }
            let minus = (0..<n).map { i in (0..<n).map { j in i == j ? lax[i][j] - Expr.i * w * q[i] : lax[i][j] } }
            matrix = multiply(plus, minus)
        }
        var invariants: [HamiltonianSystem.Invariant] = []
        // tr M^k = Σ_ij (M^a)_ij (M^b)_ji with a = ⌈k/2⌉, b = ⌊k/2⌋: only powers up to ⌈n/2⌉ are formed.
        // The benchmark's form (`simplifyInvariants` false) keeps the trace of the full power.
        var powers = [matrix]
        let highest = simplifyInvariants ? (n + 1) / 2 : n
        while powers.count < highest { powers.append(multiply(powers[powers.count - 1], matrix)) }
        let rawTraces = (1...n).map { k in
            let (a, b) = ((k + 1) / 2, k / 2)
            return b == 0 || !simplifyInvariants
                ? Expr.sum((0..<n).map { powers[k - 1][$0][$0] })
                : Expr.sum((0..<n).flatMap { i in (0..<n).map { j in powers[a - 1][i][j] * powers[b - 1][j][i] } })
        }
        // Expanding (all traces at once, sharing the matrix powers) folds I^2 = -1 and pairs
        // 1/(q_i - q_j) with 1/(q_j - q_i) into real terms; should I survive, the exact normal
        // form (real, but one big fraction) is used.
        let expanded = simplifyInvariants ? Expr.expandedOverDifferences(rawTraces) : rawTraces
        for k in 1...n {
            let rawTrace = rawTraces[k - 1]
            var trace = rawTrace
            if simplifyInvariants {
                trace = expanded[k - 1] ?? rawTrace.expand()
                if trace.contains(.i) { trace = Simplifier.simplify(rawTrace, preferSmaller: false) }
            }
            invariants.append(harmonic
                ? .init(name: "C\(k)", expr: trace, meaning: "tr (L+ L-)^\(k)")
                : .init(name: "T\(k)", expr: trace, meaning: "tr L^\(k)"))
        }
        var params: [HamiltonianSystem.Parameter] = [.init(name: "g", defaultValue: 1, meaning: "coupling, g^2/(q_j - q_k)^2")]
        if harmonic { params.append(.init(name: "w", defaultValue: 1, meaning: "harmonic frequency omega")) }
        return HamiltonianSystem(
            name: "calogero\(n)\(harmonic ? "w" : "")",
            title: "Calogero-Moser model, \(n) particles\(harmonic ? " in a harmonic trap" : "")",
            reference: "Bondesan & Lamacraft (papers/000), appendix B.3",
            pairs: (1...n).map { CanonicalPair("q\($0)", "p\($0)") },
            parameters: params, hamiltonian: H, invariants: invariants)
    }

    /// Matrix product by explicit index sums (HOT-PATHS: far cheaper than a generic matrix power).
    static func multiply(_ a: [[Expr]], _ b: [[Expr]]) -> [[Expr]] {
        let n = a.count
        return (0..<n).map { i in (0..<n).map { j in Expr.sum((0..<n).map { k in a[i][k] * b[k][j] }) } }
    }
}
