import Foundation
import Symbolic
import Dynamics
import Learn

/// `classify(m, data, modes: [1, 2, 5, 10, 20])`: how much of the data's class labels an nct's
/// slowest latent coordinates carry, by a 5-nearest-neighbour classifier on the k slowest
/// against the k fastest (the paper's figure 7b asks the same of an MLP on the slow modes).
enum Classify: Verb {
    static let signature = Signature(
        name: "classify", family: .learning, usage: "classify(model, data, modes: [1, 2, 5, 10, 20])",
        summary: "test accuracy of a 5-nearest-neighbour classifier of the data's class labels (train rows the reference, test rows classified) on an nct's k slowest latent coordinates Q = F^-1(q), each scaled to unit prior variance (Q_k sqrt(beta) w_k), beside the same on the k fastest, and on the raw coordinates: do the slow modes carry the classes?",
        example: "classify(train(nct, read(\"data/digits.csv\"), layers: 2, hidden: 8, steps: 3, batch: 32), read(\"data/digits.csv\"), modes: [1, 2])",
        positional: [.required("model", "an nct (from train or read)"), .required("data", "labelled samples (read(\"data/digits.csv\"))")],
        options: [.init("modes", .numbers, defaultText: "[1, 2, 5, 10, 20]", "the numbers k of slowest (and of fastest) modes to classify on")])

    static func run(_ call: BoundCall) throws -> Value {
        let target = try PointTransformationCall(call, cannot: "classify on")
        let (model, data) = (target.model, target.data)
        guard let labels = data.labels else { throw call.fail("the data has no class labels to classify", at: call.positional[1].location) }
        let n = model.dimension / 2, d = data.dimension
        // The default counts that the model has.
        let counts = try call.numbers("modes") ?? [1, 2, 5, 10, 20].filter { $0 <= Double(n) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 == $0.rounded() && $0 >= 1 && $0 <= Double(n) }) else {
            throw call.fail("'modes:' lists whole numbers of modes from 1 to \(n)", at: call.location(of: "modes"))
        }
        let train = (0..<data.count).filter { !data.isTest($0) }, test = (0..<data.count).filter { data.isTest($0) }
        guard train.count >= 5, !test.isEmpty else { throw call.fail("classify needs at least 5 train rows and a test row", at: call.positional[1].location) }
        // Each test row is compared with every train row: 1e8 pairs take about a minute.
        guard Double(train.count) * Double(test.count) <= 1e8 else {
            throw call.fail("\(test.count) test rows against \(train.count) train rows is more than 1e8 comparisons; classify a smaller dataset", at: call.positional[1].location)
        }
        let Q = target.latent.storage, omega = model.omega, order = target.slowestFirst
        let scale = omega.map { $0 * model.beta.squareRoot() }
        let latent = { (r: Int, k: Int) in Q[r * n + k] * scale[k] }
        let raw = { (r: Int, k: Int) in data.states[r * d + k] }
        try Interrupt.check()
        var lines = ["5-nearest-neighbour test accuracy on \(test.count) rows (\(train.count) train rows the reference), \(Set(labels).count) classes:",
                     "all \(d) raw coordinates: " + percent(try accuracy(Array(0..<d), raw, train, test, labels))]
        for k in counts.map({ Int($0) }) {
            let slow = try accuracy(Array(order.prefix(k)), latent, train, test, labels), fast = try accuracy(Array(order.suffix(k)), latent, train, test, labels)
            lines.append("\(k) slowest modes: \(percent(slow)); \(k) fastest: \(percent(fast))")
        }
        return .text(lines.joined(separator: "\n"))
    }

    static func percent(_ x: Double) -> String { TextPrinter.format(100 * x, significantDigits: 3) + " %" }

    /// The fraction of `test` rows whose majority label among their 5 nearest `train` rows
    /// (Euclidean over `columns` of `value`; ties to the nearest neighbour's label) is theirs.
    static func accuracy(_ columns: [Int], _ value: (Int, Int) -> Double, _ train: [Int], _ test: [Int], _ labels: [Int]) throws -> Double {
        let reference = train.map { r in columns.map { value(r, $0) } }
        var right = 0
        for r in test {
            try Interrupt.check()
            let x = columns.map { value(r, $0) }
            var nearest: [(distance: Double, label: Int)] = []
            for (i, y) in reference.enumerated() {
                var s = 0.0
                for j in x.indices { s += (x[j] - y[j]) * (x[j] - y[j]) }
                if nearest.count < 5 || s < nearest[nearest.count - 1].distance {
                    nearest.append((s, labels[train[i]]))
                    nearest.sort { $0.distance < $1.distance }
                    if nearest.count > 5 { nearest.removeLast() }
                }
            }
            var votes: [Int: Int] = [:]
            for v in nearest { votes[v.label, default: 0] += 1 }
            let top = votes.values.max()!
            let winner = nearest.first { votes[$0.label] == top }!.label
            if winner == labels[r] { right += 1 }
        }
        return Double(right) / Double(test.count)
    }
}
