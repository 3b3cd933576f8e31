import XCTest
@testable import Dynamics
@testable import Symbolic

/// The catalog's brackets through the exact form's bracket (`RationalForm.bracketIsZero`, the
/// route `conserved` takes for kernels such as Kepler's 1/r): proven where they vanish, never
/// where a perturbation makes them non-zero.
final class RationalBracketCatalogTests: XCTestCase {
    /// The catalog's invariants are proven in the form; perturbed ones are not, and
    /// `areBracketsZero` then refutes them.
    func testCatalogInvariantsAndPerturbedOnes() throws {
        for system in [Catalog.kepler3d(), try Catalog.neumann(n: 3), try Catalog.system("toda", options: ["n": 4])] {
            let invariants = system.invariants.map(\.expr)
            let form = RationalForm(floatsAreExact: true)
            for f in invariants {
                XCTAssertEqual(form.bracketIsZero(f, system.hamiltonian, pairs: system.pairs), true, "\(system.name): {\(f), H}")
            }
            let q1 = Expr.symbol(system.pairs[0].q)
            let perturbed = invariants.map { $0 + q1 }
            for f in perturbed {
                XCTAssertNotEqual(form.bracketIsZero(f, system.hamiltonian, pairs: system.pairs), true, "\(system.name): {\(f), H}")
            }
            let decisions = Simplifier.areBracketsZero(invariants + perturbed, system.hamiltonian, PoissonBracket(system.pairs))
            XCTAssertEqual(decisions.map(\.isZero), Array(repeating: true, count: invariants.count) + Array(repeating: false, count: perturbed.count), system.name)
            XCTAssertEqual(Array(decisions.prefix(invariants.count)), Array(repeating: .zero, count: invariants.count), system.name)
        }
        // Calogero–Moser with the Lax traces unsimplified (I in every off-diagonal entry).
        let cm = try Catalog.calogeroMoser(n: 3, harmonic: false, simplifyInvariants: false)
        for f in cm.invariants.map(\.expr) {
            XCTAssertEqual(RationalForm(floatsAreExact: true).bracketIsZero(f, cm.hamiltonian, pairs: cm.pairs), true, "{\(f), H}")
        }
    }

}
