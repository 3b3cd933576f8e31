import Foundation
import Symbolic
import XCTest
@testable import Dynamics

/// Datasets of a Hamiltonian typed in the session (a system the catalog lacks): exact
/// derivatives against Hamilton's equations written out by hand, the box and energy filters,
/// given initial states, and the file round trip that keeps H for rebuilding the true system.
final class CustomSystemDatasetTests: XCTestCase {
    /// Two particles on a line with a quartic pair potential: H = (p1² + p2²)/2 + (x1 − x2)⁴/4.
    let pairs = [CanonicalPair("x1", "p1"), CanonicalPair("x2", "p2")]

    func system() throws -> HamiltonianSystem {
        HamiltonianSystem(custom: try Expr.parse("(p1^2 + p2^2)/2 + (x1 - x2)^4/4"), pairs: pairs)
    }

    func spec(_ configure: (inout Dataset.Specification) -> Void = { _ in }) throws -> Dataset.Specification {
        var recipe = InitialConditions.recipe(for: "custom")
        recipe.trajectories = 6
        recipe.samples = 5
        recipe.duration = 2
        var s = Dataset.Specification(system: try system(), catalogName: "custom", recipe: recipe, seed: 4)
        s.recordsHamiltonian = true
        configure(&s)
        return s
    }

    func energy(_ x: ArraySlice<Double>) -> Double {
        let (x1, x2, p1, p2) = (x[x.startIndex], x[x.startIndex + 1], x[x.startIndex + 2], x[x.startIndex + 3])
        return (p1 * p1 + p2 * p2) / 2 + pow(x1 - x2, 4) / 4
    }

    func testDerivativesAreHamiltonsEquations() throws {
        let data = try Dataset.generate(try spec())
        XCTAssertEqual(data.names, ["x1", "x2", "p1", "p2"])
        XCTAssertEqual(data.count, 30)
        for k in 0..<data.count {
            let x = data.states[(4 * k)..<(4 * k + 4)], dx = data.derivatives[(4 * k)..<(4 * k + 4)]
            let (x1, x2, p1, p2) = (x[4 * k], x[4 * k + 1], x[4 * k + 2], x[4 * k + 3])
            let force = pow(x1 - x2, 3)
            for (a, b) in zip(Array(dx), [p1, p2, -force, force]) { XCTAssertEqual(a, b, accuracy: 1e-14 * max(1, abs(b)), "row \(k)") }
            // Total momentum is conserved along each trajectory (the exact flow, to rk8pd's 1e-10).
            if data.times[k] > 0 { XCTAssertEqual(p1 + p2, data.states[4 * (k - 1) + 2] + data.states[4 * (k - 1) + 3], accuracy: 1e-9) }
        }
        XCTAssertEqual(data.hamiltonian, "(x1 - x2)^4/4 + p1^2/2 + p2^2/2")
    }

    func testBoxEnergyAndGivenStates() throws {
        let boxed = try Dataset.generate(try spec { $0.box = (0.5, 0.75) })
        let starts = (0..<boxed.count).filter { boxed.times[$0] == 0 }
        for k in starts { for i in 0..<4 { XCTAssertTrue((0.5...0.75).contains(boxed.states[4 * k + i])) } }

        let filtered = try Dataset.generate(try spec { $0.energyRange = 0.2...0.3 })
        // Every row, not only the first of each trajectory: the flow keeps H (to rk8pd's 1e-10).
        for k in 0..<filtered.count {
            let e = energy(filtered.states[(4 * k)..<(4 * k + 4)])
            XCTAssertTrue(((0.2 - 1e-8)...(0.3 + 1e-8)).contains(e), "row \(k): H = \(e)")
        }
        XCTAssertThrowsError(try Dataset.generate(try spec { $0.energyRange = 100...101 })) {
            XCTAssertTrue("\($0)".contains("no initial state with energy in [100.0, 101.0]"), "\($0)")
        }

        let given = [[1.0, 0, 0, 1], [0, 0.5, -1, 0]]
        let data = try Dataset.generate(try spec { $0.initialStates = given })
        XCTAssertEqual(data.trajectoryCount, 2)
        XCTAssertEqual(Array(data.states[0..<4]), given[0])
        XCTAssertEqual(Array(data.states[20..<24]), given[1])
        XCTAssertThrowsError(try Dataset.generate(try spec { $0.initialStates = [[1, 0]] })) {
            XCTAssertEqual("\($0)", "initial state 1 has 2 values; the state is (x1, x2, p1, p2): 4 values")
        }
    }

    /// The file keeps H, so a dataset read back can rebuild its true system; a damaged H is
    /// refused with the field named.
    func testFileKeepsTheHamiltonian() throws {
        let data = try Dataset.generate(try spec())
        let path = NSTemporaryDirectory() + "noether-custom-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try DatasetFile.write(data, to: path)
        let back = try DatasetFile.read(path)
        XCTAssertEqual(back.hamiltonian, data.hamiltonian)
        XCTAssertEqual(back.states, data.states)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "hamiltonian: (x1 - x2)^4/4", with: "hamiltonian: (x1 - x2^4/4")
        XCTAssertThrowsError(try DatasetFile.decode(Data(text.utf8), path: "d.csv")) {
            XCTAssertTrue("\($0)".contains("line 2, field 'hamiltonian'") && "\($0)".contains("is not an expression"), "\($0)")
        }
        // A catalog dataset has no such field, as before.
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 2; recipe.samples = 2
        let catalog = try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 1))
        try DatasetFile.write(catalog, to: path)
        XCTAssertFalse(try String(contentsOfFile: path, encoding: .utf8).contains("hamiltonian"))
    }
}

/// Data of a parameterised catalog system names it with its options ("oscillators(n: 2, seed: 0)");
/// the true system rebuilt from that name must be the one the data came from (same H), so
/// that evaluate's rollouts and discover's proofs use it.
final class ParameterisedSourceSystemTests: XCTestCase {
    func testOscillatorsDataRebuildsItsSystem() throws {
        let built = try Catalog.system("oscillators", options: ["n": 2, "seed": 3])
        XCTAssertEqual(built.name, "oscillators(n: 2, seed: 3)")
        let rebuilt = try Catalog.system(described: built.name)
        XCTAssertEqual(rebuilt.hamiltonian, built.hamiltonian)
        XCTAssertNotEqual(rebuilt.hamiltonian, try Catalog.system("oscillators", options: ["n": 2, "seed": 0]).hamiltonian)
        XCTAssertEqual(try Catalog.system(described: "twobody").name, "twobody")
        XCTAssertThrowsError(try Catalog.system(described: "oscillators(n: two)")) { error in
            XCTAssertTrue("\(error)".contains("not a catalog system with options"), "\(error)")
        }
        XCTAssertThrowsError(try Catalog.system(described: "oscillators(m: 2)")) { error in
            XCTAssertTrue("\(error)".contains("no option 'm'"), "\(error)")
        }
    }
}
