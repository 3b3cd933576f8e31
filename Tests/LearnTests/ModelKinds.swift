@testable import Learn

/// The two model kinds, by name, as the tests build them (xavier initialisation, like the
/// models' own default).
func makeModel(_ kind: String, dimension: Int, hidden: Int, layers: Int, activation: Activation = .tanh, seed: UInt64) -> any FieldModel {
    kind == "hnn"
        ? HamiltonianNeuralNetwork(dimension: dimension, hidden: hidden, layers: layers, activation: activation, seed: seed)
        : BaselineModel(dimension: dimension, hidden: hidden, layers: layers, activation: activation, seed: seed)
}

let modelKinds = ["baseline", "hnn"]
