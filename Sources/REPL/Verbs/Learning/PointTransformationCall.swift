import Symbolic
import Dynamics
import Learn

/// What the verbs on an nct's latent configurations (plot, correlate, classify, jacobian)
/// share: the model and the data from the call, checked against each other, and the data's
/// latent configurations.
struct PointTransformationCall {
    let m: ModelValue
    let model: any PointTransformationModel
    let data: Dataset

    /// Positional 0 as a point-transformation model (else an error saying it cannot `what`)
    /// and positional 1 as data of its columns (configuration samples allowed).
    init(_ call: BoundCall, cannot what: String) throws {
        m = try call.object(0, ModelValue.self)
        guard let model = m.model as? any PointTransformationModel else {
            throw call.fail("a \(m.model.kind) model has no point transformation to \(what); an nct has", at: call.positional[0].location)
        }
        self.model = model
        data = try call.dataset(1, samples: true)
        try m.checkColumns(of: data, at: call.positional[1].location, in: call.evaluation)
    }

    var n: Int { model.dimension / 2 }

    /// The data's configurations q [rows, n] (a phase-space row's first half).
    var configurations: Tensor {
        let d = data.dimension, n = n
        return Tensor(shape: [data.count, n], storage: (0..<data.count).flatMap { data.states[($0 * d)..<($0 * d + n)] })
    }

    /// Q = F⁻¹(q) of every row, [rows, n].
    var latent: Tensor { model.latentConfigurations(configurations) }

    /// Latent indices in the order of their frequencies, slowest first.
    var slowestFirst: [Int] { let w = model.omega; return w.indices.sorted { w[$0] < w[$1] } }

    /// The value of `e` at each row, the data's parameters bound too.
    func values(of e: Expr) throws -> [Double] {
        let d = data.dimension
        return try (0..<data.count).map { r in
            var bindings = data.parameters
            for (i, name) in data.names.enumerated() { bindings[name] = data.states[r * d + i] }
            return try e.evaluate(bindings)
        }
    }

    /// The first symbol of `e` that is neither a coordinate of the data nor one of its parameters.
    func unknownSymbol(in e: Expr) -> String? {
        e.freeSymbols.sorted().first { !data.names.contains($0) && data.parameters[$0] == nil }
    }
}
