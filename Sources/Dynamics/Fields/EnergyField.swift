/// A field that can report the energy it conserves, H(x), written as a sum of terms
/// H = Σ_i t_i(x), together with the scale S(x) = Σ_i |t_i(x)| of those terms.
///
/// S ≥ |H| always, with equality when no terms cancel. S is the size against which a change of
/// H is large or small: it stays meaningful where H itself is near zero (a parabolic Kepler orbit,
/// H = |p|²/2 − k/r ≈ 0 with S = |p|²/2 + k/r far from zero). The fixed-step integrators' energy
/// test (`FixedStepMonitor`) asks this protocol, so any field that knows its H (an exact
/// Hamiltonian, a learned H_θ) gets the test; fields without one are watched for singular growth
/// only. The split into terms is the field's choice, so S is not a function of H alone.
public protocol EnergyField: VectorField {
    /// H(x) and S(x), or nil when the field cannot evaluate them (then the energy test is off).
    func energyAndScale(_ x: UnsafePointer<Double>) -> (energy: Double, scale: Double)?
    /// H(x) alone, evaluated after every step (cheaper than its terms' scale).
    func energy(_ x: UnsafePointer<Double>) -> Double
}

extension EnergyField {
    public func energy(_ x: UnsafePointer<Double>) -> Double { energyAndScale(x)?.energy ?? .nan }
}
