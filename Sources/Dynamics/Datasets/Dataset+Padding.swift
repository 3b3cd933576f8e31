import Symbolic

extension Dataset {
    /// This dataset in a phase space of `degreesOfFreedom` ≥ its own, so that systems of
    /// different sizes share one network (Song & Jeong confine every system to the plane: the
    /// pendulum as (θ, r), the mass-spring as (x, y)). A state (q_1..q_m, p_1..p_m) becomes
    /// (q_1..q_m, qpad1.., p_1..p_m, ppad1..) with the padded coordinates 0; H does not depend
    /// on them, so they stay 0 along every trajectory and their derivatives are 0. The injection
    /// is symplectic (each q keeps its conjugate p). The padded data carries its H as text with
    /// the padded pairs, so the true system is rebuilt in the padded space.
    public func padded(toDegreesOfFreedom dof: Int) throws -> Dataset {
        guard !isSamples else { throw CatalogError(message: "configuration samples have no phase-space state to pad") }
        let m = dimension / 2
        guard dof >= m else { throw CatalogError(message: "\(system) has \(m) degrees of freedom; it cannot be padded to \(dof)") }
        if dof == m { return self }
        let source = try sourceSystem()
        var out = self
        let extra = dof - m
        // Numbered on from the pads it may already have.
        let had = names.filter { $0.hasPrefix("qpad") }.count
        out.names = Array(names[0..<m]) + (1...extra).map { "qpad\(had + $0)" } + Array(names[m..<(2 * m)]) + (1...extra).map { "ppad\(had + $0)" }
        func pad(_ rows: [Double]) -> [Double] {
            var result = [Double](repeating: 0, count: count * 2 * dof)
            for r in 0..<count {
                for i in 0..<m {
                    result[r * 2 * dof + i] = rows[r * 2 * m + i]
                    result[r * 2 * dof + dof + i] = rows[r * 2 * m + m + i]
                }
            }
            return result
        }
        out.states = pad(states)
        out.derivatives = derivatives.isEmpty ? [] : pad(derivatives)
        out.hamiltonian = TextPrinter(floatDigits: 17).print(source.hamiltonian)
        out.parameters = source.parameterValues(overriding: parameters)
        out.notes.append("padded from \(m) to \(dof) degrees of freedom (qpad, ppad stay 0)")
        return out
    }
}
