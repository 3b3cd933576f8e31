@testable import Learn

/// The model kinds, by name, as the tests build them (xavier initialisation, like the
/// models' own default).
func makeModel(_ kind: String, dimension: Int, hidden: Int, layers: Int, activation: Activation = .tanh, seed: UInt64) -> any FieldModel {
    switch kind {
    case "hnn": return HamiltonianNeuralNetwork(dimension: dimension, hidden: hidden, layers: layers, activation: activation, seed: seed)
    case "shnn": return SeparableHamiltonianNetwork(dimension: dimension, hidden: hidden, layers: layers, activation: activation, seed: seed)
    default: return BaselineModel(dimension: dimension, hidden: hidden, layers: layers, activation: activation, seed: seed)
    }
}

let modelKinds = ["baseline", "hnn", "shnn"]
