import Symbolic
import Dynamics

/// What `liouville` and `poincare` share: the session's H compiled at the loaded system's
/// parameters, x0, and a fixed-step integrator over t/step steps.
struct PhaseSpaceRun {
    var field: HamiltonianVectorField
    var integrator: FixedStepIntegrator
    var x0: [Double]
    var steps: Int
    var methodName: String

    /// The options both verbs declare.
    static let options: [OptionDeclaration] = [
        .init("x0", .numbers, "the initial state, required"),
        .init("t", .positive, "the duration, required"),
        .init("step", .positive, default: 0.01, "the fixed step"),
        .init("method", .word(FixedStepMethod.allCases.map(\.rawValue)), defaultText: "gl4", "the fixed-step integrator"),
    ]

    init(_ call: BoundCall) throws {
        let evaluation = call.evaluation, verb = call.name
        try evaluation.needPairs(call.location, verb)
        let h = try evaluation.hamiltonian(call.location, verb)
        guard let x0Syntax = call.option("x0") else { throw call.fail("\(verb) needs x0: [...]") }
        let x0Value = try evaluation.value(x0Syntax)
        guard case .list = x0Value else { throw call.fail("\(verb) needs x0: [...]") }
        x0 = try evaluation.numbers(x0Value, at: x0Syntax.location, "x0")
        methodName = try call.word("method")!
        let method = FixedStepMethod(rawValue: methodName)!
        let step = try call.number("step")!
        guard call.has("t") else { throw call.fail("\(verb) needs t:") }
        let duration = try call.number("t")!
        steps = try evaluation.fixedStepCount(duration: duration, step: step, at: call.option("step")?.location ?? call.location(of: "t"))
        do {
            field = try HamiltonianVectorField(hamiltonian: h, pairs: call.session.pairs, parameters: call.session.system?.parameterValues() ?? [:], native: true)
        } catch let e as CompilationError {
            throw call.fail("H cannot be simulated: \(e.message)")
        }
        integrator = FixedStepIntegrator(method, step: step)
    }
}
