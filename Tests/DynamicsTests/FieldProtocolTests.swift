import XCTest
import Symbolic
@testable import Dynamics

/// The integrators ask the field protocols (`SeparableField`, `EnergyField`), so a field that is
/// not a compiled Hamiltonian gets leapfrog and the energy test when it offers what they need.
final class FieldProtocolTests: XCTestCase {
    /// H = (p² + q²)/2 split by hand: q̇ = p, ṗ = −q.
    final class HandSplitOscillator: SeparableField {
        var dimension: Int { 2 }
        var degreesOfFreedom: Int { 1 }
        func evaluate(_ x: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>) { f[0] = x[1]; f[1] = -x[0] }
        func velocity(_ p: UnsafePointer<Double>, into qdot: UnsafeMutablePointer<Double>) { qdot[0] = p[0] }
        func force(_ q: UnsafePointer<Double>, into pdot: UnsafeMutablePointer<Double>) { pdot[0] = -q[0] }
    }

    /// A field that conforms to the split but says it has none.
    final class NotSplit: SeparableField {
        var dimension: Int { 2 }
        var degreesOfFreedom: Int { 1 }
        var isSeparable: Bool { false }
        func evaluate(_ x: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>) { f[0] = x[1]; f[1] = -x[0] }
        func velocity(_ p: UnsafePointer<Double>, into qdot: UnsafeMutablePointer<Double>) { XCTFail("velocity of a field without a split") }
        func force(_ q: UnsafePointer<Double>, into pdot: UnsafeMutablePointer<Double>) { XCTFail("force of a field without a split") }
    }

    /// Leapfrog and Yoshida run on a hand-written separable field and give the compiled
    /// Hamiltonian's numbers bit for bit; a field that declines the split is refused.
    func testSplittingMethodsAskSeparableField() throws {
        let compiled = try HamiltonianVectorField(hamiltonian: try Expr.parse("(p^2 + q^2)/2"), pairs: [CanonicalPair("q", "p")])
        for method in [FixedStepMethod.leapfrog, .yoshida4] {
            let integrator = FixedStepIntegrator(method, step: 0.05)
            let byHand = try integrator.run(HandSplitOscillator(), from: [1, 0.5], steps: 500)
            XCTAssertEqual(byHand.states, try integrator.run(compiled, from: [1, 0.5], steps: 500).states, "\(method)")
            XCTAssertEqual(byHand.statistics.functionEvaluations, method == .leapfrog ? 500 : 1500)
            var x = [1.0, 0.5]
            try integrator.step(HandSplitOscillator(), &x)
            XCTAssertEqual(x, Array(byHand.state(1)))
            XCTAssertThrowsError(try integrator.run(NotSplit(), from: [1, 0.5], steps: 10)) { error in
                XCTAssertTrue("\(error)".contains("needs a separable Hamiltonian"), "\(error)")
            }
            var y = [1.0, 0.5]
            XCTAssertThrowsError(try integrator.step(NotSplit(), &y))
        }
        // The non-splitting methods only need the field.
        XCTAssertNoThrow(try FixedStepIntegrator(.rk4, step: 0.05).run(NotSplit(), from: [1, 0.5], steps: 10))
    }

    /// ẋ = (1, 0): x₁ moves at unit speed. Its reported energy steps from 0 to 100 where x₁
    /// passes 1/2 (scale 1), a jump the energy test stops at; the same motion without the
    /// report runs through.
    func testTheEnergyTestAsksEnergyField() throws {
        final class Drifting: VectorField {
            var dimension: Int { 2 }
            func evaluate(_ x: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>) { f[0] = 1; f[1] = 0 }
        }
        final class SteppedEnergy: EnergyField {
            var dimension: Int { 2 }
            func evaluate(_ x: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>) { f[0] = 1; f[1] = 0 }
            func energyAndScale(_ x: UnsafePointer<Double>) -> (energy: Double, scale: Double)? { (x[0] < 0.5 ? 0 : 100, 1) }
        }
        let integrator = FixedStepIntegrator(.euler, step: 0.01)
        XCTAssertEqual(try integrator.run(Drifting(), from: [0, 0], steps: 100).count, 101)
        XCTAssertThrowsError(try integrator.run(SteppedEnergy(), from: [0, 0], steps: 100)) { error in
            guard let e = error as? IntegrationError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(e)".contains("energy jump"), "\(e)")
            // The last good state is the one before x₁ passes 1/2.
            XCTAssertLessThan(e.state[0], 0.5)
            XCTAssertEqual(e.state[0], 0.5, accuracy: 0.011)
            XCTAssertEqual(e.time, e.state[0], accuracy: 1e-12)
        }
    }

    /// Every parameter's default, then the given values on top (kept even when not a parameter).
    func testParameterValuesMergeDefaultsAndOverrides() throws {
        let system = try Catalog.system("pendulum")
        let defaults = system.parameterValues()
        XCTAssertEqual(defaults.count, system.parameters.count)
        for p in system.parameters { XCTAssertEqual(defaults[p.name], p.defaultValue.doubleValue) }
        let name = try XCTUnwrap(system.parameters.first?.name)
        let merged = system.parameterValues(overriding: [name: 7.5, "extra": 2])
        XCTAssertEqual(merged[name], 7.5)
        XCTAssertEqual(merged["extra"], 2)
        for p in system.parameters.dropFirst() { XCTAssertEqual(merged[p.name], p.defaultValue.doubleValue) }
        // The field of a system uses the same merge.
        XCTAssertEqual(try HamiltonianVectorField(system: system, parameters: [name: 7.5]).parameterValues, system.parameterValues(overriding: [name: 7.5]))
    }
}
