/// A node of the autodiff graph: a tensor, the variables it was computed from, and the
/// pullback that maps the gradient of the output to gradients of those inputs. Pullbacks are
/// written with `Variable` operations, so when the backward pass is recorded (`createGraph`)
/// its results are graphs too and can be differentiated again, to any order.
public final class Variable {
    /// Optimizers update parameters in place between steps (a step's graph is gone by then).
    public internal(set) var value: Tensor
    let parents: [Variable]
    /// Given the output's gradient and which parents need one, the parents' gradients (nil
    /// where not needed: a gradient with respect to x alone skips the weight gradients).
    let pullback: ((Variable, [Bool]) -> [Variable?])?
    /// True for parameters and inputs to differentiate with respect to, and for anything
    /// recorded from them.
    public let requiresGradient: Bool
    /// Bytes a fused operation keeps for its pullback besides its value (intermediates that a
    /// chain of single operations would have held as nodes).
    let savedBytes: Int

    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.parents = []
        self.pullback = nil
        self.requiresGradient = requiresGradient
        self.savedBytes = 0
    }

    public convenience init(_ scalar: Double) { self.init(Tensor(scalar)) }

    init(value: Tensor, parents: [Variable], savedBytes: Int = 0, pullback: @escaping (Variable, [Bool]) -> [Variable?]) {
        self.value = value
        self.parents = parents
        self.pullback = pullback
        self.requiresGradient = true
        self.savedBytes = savedBytes
    }

    public var shape: [Int] { value.shape }

    /// A result of an operation: recorded with its pullback when recording is on and an input
    /// needs a gradient, otherwise a constant.
    static func record(_ value: Tensor, _ parents: [Variable], savedBytes: Int = 0,
                       _ pullback: @escaping (Variable, [Bool]) -> [Variable?]) -> Variable {
        if Recording.isOn && parents.contains(where: \.requiresGradient) {
            return Variable(value: value, parents: parents, savedBytes: savedBytes, pullback: pullback)
        }
        return Variable(value)
    }

    /// The same value, cut from the graph.
    public var detached: Variable { Variable(value) }

    /// Bytes of the values held by the recorded graph that ends here (every node reachable
    /// through parents, each counted once): what reverse mode must keep for the backward pass.
    public var graphBytes: Int {
        var seen = Set<ObjectIdentifier>(), stack = [self], total = 0
        while let node = stack.popLast() {
            guard seen.insert(ObjectIdentifier(node)).inserted else { continue }
            total += 8 * node.value.count + node.savedBytes
            stack.append(contentsOf: node.parents)
        }
        return total
    }
}

/// Whether operations are recorded. The backward pass runs with recording on only when a
/// differentiable gradient was asked for.
///
/// The switch is task-local: `with` binds it for the body and what the body calls on the same
/// task or thread, and restores it after, so nested training (MAML's inner loop, a scan over
/// models) and trainings in concurrent tasks or threads cannot see each other's setting.
enum Recording {
    @TaskLocal static var isOn = true

    static func with<T>(_ on: Bool, _ body: () throws -> T) rethrows -> T {
        if on == isOn { return try body() }
        return try $isOn.withValue(on) { try body() }
    }
}

/// Gradients of a scalar `output` with respect to `inputs` by reverse accumulation.
///
/// With `createGraph`, the backward pass is recorded: the gradients are differentiable
/// functions of the inputs (PyTorch's `create_graph=True`), which is what an HNN's loss on
/// ∇ₓH, a Jacobian or MAML's inner step needs. Without it they are constants.
/// An input the output does not depend on gets a zero gradient.
public func gradient(of output: Variable, wrt inputs: [Variable], createGraph: Bool = false) -> [Variable] {
    gradient(of: output, wrt: inputs, createGraph: createGraph, holding: [])
}

/// The partial derivatives of `output` with respect to `inputs`, holding the variables `held`
/// fixed: the backward pass does not go past them into what they were computed from. A recorded
/// pullback that differentiates ⟨ū, h(x, θ)⟩ to its parents needs this: ū and the parents may
/// themselves depend on θ (MAML's θ′ = θ − α∇L(θ), an upstream built from the forward pass),
/// and the pullback's result must be J_hᵀ ū alone, still a differentiable function of ū and of
/// the parents.
func gradient(of output: Variable, wrt inputs: [Variable], createGraph: Bool, holding held: [Variable]) -> [Variable] {
    precondition(output.value.count == 1, "gradient of a non-scalar output \(output.shape); sum it first")
    let stops = Set(held.map(ObjectIdentifier.init))
    // Reverse topological order of the recorded nodes reachable from the output.
    var order: [Variable] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Variable, Bool)] = [(output, false)]
    while let (node, expanded) = stack.popLast() {
        if expanded { order.append(node); continue }
        guard node.requiresGradient, stops.isEmpty || !stops.contains(ObjectIdentifier(node)), visited.insert(ObjectIdentifier(node)).inserted else { continue }
        stack.append((node, true))
        for p in node.parents where p.requiresGradient { stack.append((p, false)) }
    }
    // Only nodes from which an input can be reached need gradients (`order` lists parents
    // before children, so one pass decides it).
    var leadsToInput = Set(inputs.map(ObjectIdentifier.init))
    for node in order where node.parents.contains(where: { leadsToInput.contains(ObjectIdentifier($0)) }) {
        leadsToInput.insert(ObjectIdentifier(node))
    }
    var gradients: [ObjectIdentifier: Variable] = [ObjectIdentifier(output): Variable(Tensor.filled(output.shape, 1))]
    let wanted = Set(inputs.map(ObjectIdentifier.init))
    Recording.with(createGraph) {
        for node in order.reversed() {
            guard let pullback = node.pullback else { continue }
            // Once passed on to its parents, a node's gradient is dropped (unless asked for):
            // the backward pass holds only the gradients still in flight.
            let key = ObjectIdentifier(node)
            guard let g = wanted.contains(key) ? gradients[key] : gradients.removeValue(forKey: key) else { continue }
            let need = node.parents.map { $0.requiresGradient && leadsToInput.contains(ObjectIdentifier($0)) }
            guard need.contains(true) else { continue }
            let parentGradients = pullback(g, need)
            for (k, p) in node.parents.enumerated() where need[k] {
                guard let pg = parentGradients[k] else { continue }
                let key = ObjectIdentifier(p)
                gradients[key] = gradients[key].map { $0 + pg } ?? pg
            }
        }
    }
    return inputs.map { gradients[ObjectIdentifier($0)] ?? Variable(Tensor.zeros($0.shape)) }
}
