import XCTest
import Symbolic
@testable import Dynamics

/// Every identity of the acceptance list, decided exactly (`.zero`, never numerically).
final class CatalogAcceptanceTests: XCTestCase {
    func defs(_ s: HamiltonianSystem) -> [String: Expr] {
        Dictionary(uniqueKeysWithValues: s.definitions.map { ($0.name, $0.expr) })
    }

    func assertExactZero(_ e: Expr, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Simplifier.isZero(e), .zero, what, file: file, line: line)
    }

    func testKepler3d() throws {
        let s = try Catalog.system("kepler3d")
        let d = defs(s), pb = PoissonBracket(s.pairs), H = s.hamiltonian, k = Expr.symbol("k")
        let L = (1...3).map { d["L\($0)"]! }, A = (1...3).map { d["A\($0)"]! }
        for i in 0..<3 {
            assertExactZero(pb(A[i], H), "{A\(i + 1), H}")
            assertExactZero(pb(L[i], H), "{L\(i + 1), H}")
        }
        let dot = { (u: [Expr], v: [Expr]) in Expr.sum((0..<3).map { u[$0] * v[$0] }) }
        assertExactZero(dot(A, L), "A.L")
        assertExactZero(dot(A, A) - k ** 2 - 2 * H * dot(L, L), "A.A - k^2 - 2 H L.L")
        // {L_i, L_j} = eps_ijk L_k and {A_i, A_j} = -2 H eps_ijk L_k, all cyclic pairs.
        for (i, j, m) in [(0, 1, 2), (1, 2, 0), (2, 0, 1)] {
            assertExactZero(pb(L[i], L[j]) - L[m], "{L\(i + 1), L\(j + 1)} = L\(m + 1)")
            assertExactZero(pb(A[i], A[j]) + 2 * H * L[m], "{A\(i + 1), A\(j + 1)} = -2 H L\(m + 1)")
            assertExactZero(pb(A[i], L[j]) - A[m], "{A\(i + 1), L\(j + 1)} = A\(m + 1)")
        }
    }

    func testKepler2dAndANonConservedQuantity() throws {
        let s = try Catalog.system("kepler2d")
        let d = defs(s), pb = PoissonBracket(s.pairs)
        for name in ["L", "A1", "A2"] { assertExactZero(pb(d[name]!, s.hamiltonian), "{\(name), H}") }
        let bad = pb(Expr.symbol("q1") * "p2", s.hamiltonian)
        XCTAssertFalse(Simplifier.isZero(bad).isZero)
    }

    func testNeumannWithSymbolicDistinctFrequencies() throws {
        let s = try Catalog.system("neumann3")
        let d = defs(s), pb = PoissonBracket(s.pairs)
        let I = (1...3).map { d["I\($0)"]! }, a = (1...3).map { Expr.symbol("a\($0)") }, q = (1...3).map { Expr.symbol("q\($0)") }
        for i in 0..<3 {
            assertExactZero(pb(I[i], s.hamiltonian), "{I\(i + 1), H}")
            for j in (i + 1)..<3 where j < 3 { assertExactZero(pb(I[i], I[j]), "{I\(i + 1), I\(j + 1)}") }
        }
        assertExactZero(s.hamiltonian - Expr.sum((0..<3).map { a[$0] * I[$0] }) / 2, "H = 1/2 sum a_i I_i")
        assertExactZero(Expr.sum(I) - Expr.sum(q.map { $0 ** 2 }), "sum I_i = sum q_i^2")
    }

    func testNeumannFourOscillators() throws {
        let s = try Catalog.system("neumann", options: ["n": 4])
        let d = defs(s), pb = PoissonBracket(s.pairs)
        assertExactZero(pb(d["I1"]!, d["I4"]!), "{I1, I4}, n = 4")
        assertExactZero(pb(d["I2"]!, s.hamiltonian), "{I2, H}, n = 4")
    }

    func testCalogeroMoserLaxInvariants() throws {
        let s = try Catalog.system("calogero3")
        let pb = PoissonBracket(s.pairs)
        for inv in s.invariants { assertExactZero(pb(inv.expr, s.hamiltonian), "{\(inv.name), H}") }
        // tr L^2 = 2H and the simplified invariants are real (no I left).
        assertExactZero(defs(s)["T2"]! - 2 * s.hamiltonian, "tr L^2 = 2 H")
        XCTAssertFalse(s.invariants.contains { $0.expr.contains(.i) })
        // The same traces built without simplification, as the benchmark builds them.
        let raw = try Catalog.calogeroMoser(n: 3, harmonic: false, simplifyInvariants: false)
        for inv in raw.invariants { assertExactZero(pb(inv.expr, raw.hamiltonian), "raw {\(inv.name), H}") }
    }

    /// The open Toda lattice's Lax invariants are in involution, exactly: {T_i, T_j} = 0 for
    /// every pair and {T_k, H} = 0; T2 = 2H; T3 has Flaschka's closed form; a perturbed lattice
    /// (one exponential's coefficient changed) breaks {T3, H}.
    func testTodaLaxInvariantsAreInInvolution() throws {
        let s = try Catalog.system("toda", options: ["n": 5])
        let d = defs(s), pb = PoissonBracket(s.pairs), H = s.hamiltonian
        let T = (1...5).map { d["T\($0)"]! }
        for i in 0..<5 {
            assertExactZero(pb(T[i], H), "{T\(i + 1), H}")
            for j in (i + 1)..<5 { assertExactZero(pb(T[i], T[j]), "{T\(i + 1), T\(j + 1)}") }
        }
        assertExactZero(T[1] - 2 * H, "T2 = 2 H")
        let q = (1...5).map { Expr.symbol("q\($0)") }, p = (1...5).map { Expr.symbol("p\($0)") }
        let E = (0..<4).map { Expr.apply(.exp, q[$0] - q[$0 + 1]) }
        let closed = Expr.sum(p.map { $0 ** 3 }) + 3 * Expr.sum((0..<4).map { (p[$0] + p[$0 + 1]) * E[$0] })
        assertExactZero(T[2] - closed, "T3 = sum p^3 + 3 sum (p_i + p_(i+1)) exp(q_i - q_(i+1))")
        XCTAssertFalse(Simplifier.isZero(pb(T[2], H + E[1])).isZero)
        XCTAssertThrowsError(try Catalog.system("toda", options: ["n": 11]))
    }

    /// Beyond the exact normal form's budget, partial fractions over q_i − q_j still prove every
    /// {T_k, H} exactly; the traces, built in factored form, are the traces of the Lax power.
    func testCalogeroMoserIsExactBeyondTheNormalForm() throws {
        let s = try Catalog.calogeroMoser(n: 5, harmonic: false)
        let pb = PoissonBracket(s.pairs)
        XCTAssertEqual(Simplifier.areBracketsZero(s.invariants.map(\.expr), s.hamiltonian, pb), Array(repeating: .zero, count: 5))
        XCTAssertEqual(Simplifier.isZero(pb(s.invariants[4].expr, s.invariants[3].expr)), .zero)
        let t5 = s.invariants[4].expr
        XCTAssertEqual(Simplifier.areBracketsZero([t5 + Expr.symbol("q1") * Expr.symbol("p2")], s.hamiltonian, pb), [.nonzero(witness: nil)])
        let raw = try Catalog.calogeroMoser(n: 4, harmonic: false, simplifyInvariants: false)
        let built = try Catalog.calogeroMoser(n: 4, harmonic: false)
        for (r, b) in zip(raw.invariants, built.invariants) {
            // Built in factored form (the catalog would otherwise fall back to simplify).
            XCTAssertEqual(r.expr.expandedOverDifferences(), b.expr, b.name)
            XCTAssertEqual(Simplifier.isZero(r.expr - b.expr), .zero, b.name)
        }
        let trapped = try Catalog.calogeroMoser(n: 4, harmonic: true)
        XCTAssertEqual(Simplifier.areBracketsZero(trapped.invariants.map(\.expr), trapped.hamiltonian, PoissonBracket(trapped.pairs)),
                       Array(repeating: .zero, count: 4))
    }

    func testCalogeroMoserInAHarmonicTrap() throws {
        let s = try Catalog.system("calogero3w")
        let pb = PoissonBracket(s.pairs)
        for inv in s.invariants { assertExactZero(pb(inv.expr, s.hamiltonian), "{\(inv.name), H} with w") }
        assertExactZero(defs(s)["C1"]! - 2 * s.hamiltonian, "tr L+L- = 2 H")
    }

    func testTwoAndThreeBodies() throws {
        for name in ["twobody", "threebody"] {
            let s = try Catalog.system(name)
            let d = defs(s), pb = PoissonBracket(s.pairs)
            for inv in ["Px", "Py", "L"] { assertExactZero(pb(d[inv]!, s.hamiltonian), "\(name): {\(inv), H}") }
            XCTAssertFalse(Simplifier.isZero(pb(Expr.symbol("qx1"), s.hamiltonian)).isZero)
        }
        // SCNN eq. 11's relative angular momentum is conserved only for equal masses.
        let two = try Catalog.system("twobody")
        let rel = PoissonBracket(two.pairs)(defs(two)["Lrel"]!, two.hamiltonian)
        XCTAssertFalse(Simplifier.isZero(rel).isZero)
        assertExactZero(rel.substitute(["m2": "m1"]), "{Lrel, H} at m1 = m2")
    }

    func testCatalogErrors() {
        XCTAssertThrowsError(try Catalog.system("keplr3d")) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'kepler3d'?"), "\(error)")
        }
        XCTAssertThrowsError(try Catalog.system("neumann", options: ["n": 40]))
        XCTAssertThrowsError(try Catalog.system("kepler3d", options: ["n": 2]))
    }
}

final class MoreSystemsTests: XCTestCase {
    func zero(_ e: Expr) -> ZeroDecision { Simplifier.isZero(e) }

    func testInvariantsOfThePapersOtherSystems() throws {
        for name in ["sphericalpendulum", "chargedparticle", "ringworld", "lennardjones"] {
            let s = try Catalog.system(name)
            let pb = PoissonBracket(s.pairs)
            for inv in s.invariants { XCTAssertEqual(zero(pb(inv.expr, s.hamiltonian)), .zero, "\(name): {\(inv.name), H}") }
        }
        // Charged particle: H expands to SCNN's fitted form (eq. 25) at their parameters.
        let charged = try Catalog.system("chargedparticle")
        let expected = try Expr.parse("2*qx^2 + 2*qy^2 + px^2 + py^2 - 2*qx*py + 2*qy*px")
        XCTAssertEqual(zero(charged.hamiltonian.substitute(charged.defaultValues) - expected), .zero)
    }

    /// The mode energies are exact invariants, in involution, and sum to H.
    func testCoupledOscillatorModeEnergies() throws {
        for (n, seed) in [(2, 1), (3, 0), (4, 7)] {
            let s = try Catalog.system("oscillators", options: ["n": n, "seed": seed])
            let pb = PoissonBracket(s.pairs)
            let E = s.invariants.map(\.expr)
            for i in 0..<n {
                XCTAssertEqual(zero(pb(E[i], s.hamiltonian)), .zero, "n = \(n): {E\(i + 1), H}")
                for j in (i + 1)..<n where j < n { XCTAssertEqual(zero(pb(E[i], E[j])), .zero) }
            }
            XCTAssertEqual(zero(s.hamiltonian - .sum(E)), .zero, "H = sum E_i")
        }
    }

    /// The chain's mode energies, written with √2 and √3 for n = 2, 3, 5: each commutes with H
    /// and with the others, they sum to H, and each is exactly (P_k² + ω_k² Q_k²)/2 along its own
    /// mode (a pure mode of unit amplitude holds E_k = ω_k²/2 · (n+1)/2 at p = 0, numerically).
    func testHarmonicChainModeEnergies() throws {
        for n in [2, 3, 5] {
            let s = try Catalog.system("chain", options: ["n": n])
            let pb = PoissonBracket(s.pairs)
            let E = s.invariants.map(\.expr)
            XCTAssertEqual(E.count, n)
            for i in 0..<n {
                XCTAssertEqual(zero(pb(E[i], s.hamiltonian)), .zero, "n = \(n): {E\(i + 1), H}")
                for j in (i + 1)..<n { XCTAssertEqual(zero(pb(E[i], E[j])), .zero, "n = \(n): {E\(i + 1), E\(j + 1)}") }
                let mode = Dictionary(uniqueKeysWithValues: (1...n).map { ("q\($0)", sin(Double.pi * Double($0 * (i + 1)) / Double(n + 1))) } + (1...n).map { ("p\($0)", 0.0) })
                let omega = 2 * sin(Double.pi * Double(i + 1) / Double(2 * n + 2))
                for (k, e) in E.enumerated() {
                    XCTAssertEqual(try e.evaluate(mode), k == i ? omega * omega / 2 * Double(n + 1) / 2 : 0, accuracy: 1e-12, "n = \(n): E\(k + 1) on mode \(i + 1)")
                }
            }
            XCTAssertEqual(zero(s.hamiltonian - .sum(E)), .zero, "n = \(n): H = sum E_k")
        }
        XCTAssertTrue(try Catalog.system("chain", options: ["n": 8]).invariants.isEmpty, "sin(pi/9) is not written with square roots")
    }

    /// A pure normal mode q_j = sin(π j k/(n+1)), p = 0 evolves as cos(ω_k t) with
    /// ω_k = 2 sin(π k/(2n+2)).
    func testHarmonicChainFrequencies() throws {
        let n = 6
        let f = try HamiltonianVectorField(system: try Catalog.system("chain", options: ["n": n]))
        for k in 1...n {
            let mode = (1...n).map { sin(Double.pi * Double($0 * k) / Double(n + 1)) }
            let omega = 2 * sin(Double.pi * Double(k) / Double(2 * n + 2))
            let traj = try AdaptiveIntegrator(.rk8pd, relativeTolerance: 1e-12, absoluteTolerance: 1e-12)
                .run(f, from: mode + [Double](repeating: 0, count: n), times: [0, 1, 2, 3])
            for s in 1..<traj.count {
                let x = Array(traj.state(s)), c = cos(omega * traj.times[s])
                for j in 0..<n { XCTAssertEqual(x[j], mode[j] * c, accuracy: 1e-9, "mode \(k), site \(j + 1)") }
            }
        }
    }

    func testDoublePendulumAndMirrorConserveOnlyEnergyNumerically() throws {
        for name in ["doublependulum", "magneticmirror"] {
            let f = try HamiltonianVectorField(system: try Catalog.system(name))
            let x0 = name == "doublependulum" ? [1.0, 2.0, 0.0, 0.0] : [0.5, 0.3, 0.1, 0.2]
            let traj = try AdaptiveIntegrator().run(f, from: x0, times: (0...20).map(Double.init))
            let e0 = f.energy(x0)
            for k in 0..<traj.count { XCTAssertEqual(f.energy(Array(traj.state(k))), e0, accuracy: 1e-8 * max(1, abs(e0))) }
        }
    }
}
