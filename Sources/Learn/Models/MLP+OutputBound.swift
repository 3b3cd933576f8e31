// A bound on an MLP's outputs that holds for every input.
//
// With an activation bounded by one in magnitude, |σ(z)| ≤ 1 for every real z (tanh, sigmoid,
// sin), the last hidden layer a_L has entries in [−1, 1] whatever the input, so each output
// y_j = Σ_i a_{L,i} W_ij + b_j obeys
//
//   |y_j| ≤ Σ_i |W_ij| + |b_j|.
//
// When that number is far below Double's overflow (1.8e308), no input can make an output
// infinite: checking the output layer's weights once replaces a forward pass over any set of
// points. It is a bound, not an estimate (it is reached only where every unit saturates with
// the sign of its weight). Unbounded activations (relu, softplus) and a network without hidden
// layers have no input-free bound.

extension MLP {
    /// max_j (Σ_i |W_ij| + |b_j|) over the output layer: |f_j(x)| is at most this for every x,
    /// when the activation is bounded by 1 and there is a hidden layer; nil otherwise.
    public var outputBound: Double? {
        guard sizes.count >= 3, activation == .tanh || activation == .sigmoid || activation == .sin,
              let w = weights.last?.value, let b = biases.last?.value else { return nil }
        let inputs = sizes[sizes.count - 2], outputs = sizes[sizes.count - 1]
        var bound = 0.0
        for j in 0..<outputs {
            var sum = abs(b.storage[j])
            for i in 0..<inputs { sum += abs(w.storage[i * outputs + j]) }
            if sum.isNaN { return .nan }
            bound = max(bound, sum)
        }
        return bound
    }
}
