/// What training minimises: named loss terms of the model, weighted, L = Σ_i w_i L_i. A term of
/// weight 1 enters unscaled, and one term is the objective itself (no sum), so the objective of
/// one term is bit for bit that term.
public struct Objective: Sendable {
    public var terms: [(name: String, weight: Double)]
    public init(_ terms: [(name: String, weight: Double)]) { self.terms = terms }

    /// Every loss term of `model`, weight 1.
    public static func all(of model: any Model) -> Objective { Objective(model.lossNames.map { ($0, 1) }) }

    /// Σ_i w_i L_i over the terms, in order (the first term is the start of the sum, not 0 + it).
    /// Throws when `losses` lacks a term (a model that does not return what it declares).
    func combine(_ losses: [String: Variable]) throws -> Variable {
        var total: Variable?
        for (name, weight) in terms {
            guard let loss = losses[name] else {
                throw TrainingError(message: "the model returned no loss term '\(name)' (it returned \(losses.keys.sorted().joined(separator: ", ")))")
            }
            let term = weight == 1 ? loss : loss * weight
            total = total.map { $0 + term } ?? term
        }
        guard let total else { throw TrainingError(message: "the objective has no loss terms") }
        return total
    }

    /// Checks the terms against the model's: at least one, each one the model has, weights finite.
    func check(against model: any Model) throws {
        guard !terms.isEmpty else { throw TrainingError(message: "the objective has no loss terms") }
        for (name, weight) in terms {
            guard model.lossNames.contains(name) else {
                throw TrainingError(message: "the \(model.kind) model has no loss term '\(name)' (its terms: \(model.lossNames.joined(separator: ", ")))")
            }
            guard weight.isFinite else { throw TrainingError(message: "the weight of '\(name)' is not finite") }
        }
    }
}
