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
