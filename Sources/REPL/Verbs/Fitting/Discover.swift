import Foundation
import Symbolic
import Dynamics
import Learn
import Fit

/// `discover(m, data, known: [Px, Py, L], degree: [1, 3])`: the closed loop, from what a model
/// learned to a proven conservation law. For each latent coordinate the model is trained to
/// conserve (an SCNN's cyclic P_i):
///
/// 1. a polynomial fit of it on the data's states, its degree selected by held-out error;
/// 2. the fit identified in the span of the known quantities (a learned coordinate is defined up
///    to scale and offset), or, when that fails, on their pairwise products (P = f(Px, L));
/// 3. an exact candidate: the identified combination with small rational weights, or else the
///    fit's polynomial with small rational coefficients. A flow's action (identified from its
///    values) is weighed over the orbits' means instead, when there are at least twice as many
///    orbits as weights: small rationals where they fit, else each ratio rounded to its error;
/// 4. the candidate's proof: {C, H} = 0 decided by the zero test, with H the Hamiltonian of
///    the system the data came from (symbolic parameters kept).
enum Discover: Verb {
    static let signature = Signature(
        name: "discover", family: .fitting, usage: "discover(model, data, known: [Px, Py, L], degree: [1, 3])",
        summary: "the closed loop for each conserved latent coordinate of a model (an SCNN's cyclic P_i): a fit whose degree is selected by held-out error, its identification in the span of the known quantities (or of their products when it is a nonlinear function of them), an exact candidate with small rational coefficients, and its proof that {C, H} = 0 for the data's system; c.P1 is P1's candidate",
        example: "discover(train(scnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), dataset(harmonic, trajectories: 4, samples: 10), known: [q^2 + p^2], degree: [1, 2])",
        positional: [.required("model", "a model with conserved latent coordinates (train(scnn, ...))"), .required("data", "a dataset (from dataset or read)")],
        options: [
            .init("known", .expressions, "the known conserved quantities to identify with, required"),
            .init("degree", .custom("[low, high], 0 ≤ low ≤ high ≤ 12"), defaultText: "[1, 3]", "the degrees the fit selects from by held-out error"),
            .init("threshold", .between(0, 1), default: 0.99, "the R² from which an identification counts"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let evaluation = call.evaluation
        let m = try call.object(0, ModelValue.self)
        let data = try call.dataset(1)
        try m.checkColumns(of: data, at: call.positional[1].location, in: evaluation)
        guard let latent = m.model as? any LatentModel, !latent.conservedNames.isEmpty else {
            let kinds = ModelRegistry.kinds { !(($0 as? any LatentModel)?.conservedNames.isEmpty ?? true) }.map { "train(\($0), ...)" }.joined(separator: " or ")
            throw call.fail("a \(m.model.kind) model has no coordinates it is trained to conserve; \(kinds.isEmpty ? "no kind has" : kinds + " has")", at: call.positional[0].location)
        }
        guard let given = try KnownInvariants.read(call, data: data), let knownSyntax = call.option("known") else {
            throw call.fail("discover needs known: [...], the conserved quantities to identify with")
        }
        let (known, labels) = (given.expressions, given.labels)
        var degrees = 1...3
        if let s = call.option("degree") { degrees = try evaluation.degreeRange(try evaluation.value(s), at: s.location) }
        let threshold = try call.number("threshold")!
        let (hamiltonian, bracket) = try truth(of: data, call)
        let columns = try evaluation.sampleValues(of: known, on: data, at: knownSyntax.location)
        var rows: [DiscoveryValue.Row] = [], values: [(name: String, values: [Double])] = []
        // A learned coordinate named like a known quantity (a flow's I1 beside Neumann's I1) is
        // shown as the model's (m.I1), so that no line reads as a known quantity's.
        let clash = !Set(latent.conservedNames).isDisjoint(with: labels)
        let owner = call.positional[0].isName ? call.positional[0].nameText : "model"
        for name in latent.conservedNames {
            guard let (targets, _) = try m.samples(of: name, on: data, at: call.location, dataAt: call.positional[1].location, in: evaluation) else { continue }
            let shown = clash ? "\(owner).\(name)" : name
            values.append((shown, targets))
            let drift = Self.drift(targets, trajectories: data.trajectoryIDs)
            var fit: PolynomialFit?, fitText: String, fitted: [Double]
            if latent.identifiesConservedDirectly {
                (fitText, fitted) = ("\(shown): its values at the data's \(targets.count) samples, as they are (no fit on the state)", targets)
            } else {
                var options = FitOptions()
                options.degrees = degrees
                options.degree = degrees.upperBound
                do {
                    fit = try PolynomialFit.fit(targets: targets, states: data.states, columns: data.names, parameters: data.parameters, options: options)
                } catch {
                    rows.append(.init(name: name, fit: "\(name): no fit (\(error))", identification: "-", drift: drift, candidate: nil, verdict: "not tried"))
                    continue
                }
                fitText = fit!.display(name: name).split(separator: "\n")[0] + (fit!.degree.map { " (degree \($0))" } ?? "")
                fitted = try evaluation.sampleValues(of: [fit!.expr], on: data, at: call.location)[0]
            }
            var identification: String, candidate: Expr?, weights: String?
            // What it was identified in: the known quantities, or their products too.
            var basis: (terms: [Expr], columns: [[Double]], labels: [String])?
            let linear = try? Identification.identify(fitted, in: columns, names: labels)
            if let linear, linear.rSquared >= threshold {
                identification = describe(linear)
                candidate = rationalCombination(linear, of: known, columns: columns, trajectories: data.trajectoryCount)
                basis = (known, columns, labels)
            } else {
                // A nonlinear function of the known quantities: their pairwise products too.
                let pairs = known.indices.flatMap { i in (i..<known.count).map { (i, $0) } }
                let productLabels = labels + pairs.map { "\(labels[$0.0])*\(labels[$0.1])" }
                let productColumns = columns + pairs.map { p in zip(columns[p.0], columns[p.1]).map { $0 * $1 } }
                let products = try? Identification.identify(fitted, in: productColumns, names: productLabels)
                if let products, products.rSquared >= threshold {
                    identification = "not linear (R² \(format(linear?.rSquared ?? 0, 4))); a nonlinear function of them: " + describe(products)
                    candidate = rationalCombination(products, of: known + pairs.map { known[$0.0] * known[$0.1] }, columns: productColumns, trajectories: data.trajectoryCount)
                    basis = (known + pairs.map { known[$0.0] * known[$0.1] }, productColumns, productLabels)
                } else {
                    identification = "not in span(\(labels.joined(separator: ", "))) (R² \(format(linear?.rSquared ?? 0, 4)))"
                        + (products.map { ", nor of their products (R² \(format($0.rSquared, 4)))" } ?? "")
                }
            }
            // A learned action against integrals (each constant on an orbit) is weighed over the
            // orbits, when there are enough of them. It is a function of the integrals, seldom
            // with small rational weights (Neumann's are hyperelliptic integrals of them): its
            // identified combination, the weights to the precision the orbits give, is still an
            // exact formula to prove.
            if latent.identifiesConservedDirectly, let basis, Set(data.trajectoryIDs).count >= 2 * (basis.terms.count + 1) {
                let rounded = roundedCombination(targets, of: basis.terms, columns: basis.columns, labels: basis.labels, trajectories: data.trajectoryIDs)
                (candidate, weights) = (rounded?.0, rounded?.1)
            }
            if candidate == nil { candidate = try? fit?.normalized() }
            var verdict = "not tried (no candidate)"
            // A constant is conserved by every H: proving it would say nothing about what was
            // learned (the weights of dependent known quantities can cancel exactly).
            if let c = candidate, !c.freeSymbols.contains(where: data.names.contains) {
                verdict = "not tried (the candidate is the constant \(TextPrinter().print(c)): its weights cancel)"
                candidate = nil
            }
            if let c = candidate { verdict = Self.prove(c, hamiltonian: hamiltonian, bracket: bracket, parameters: data.parameters) }
            rows.append(.init(name: name, fit: fitText, identification: identification, drift: drift, candidate: candidate, weights: candidate == nil ? nil : weights, verdict: verdict))
        }
        return .object(DiscoveryValue(rows: rows, notes: dependence(values) + span(values, known: columns, labels: labels, threshold: threshold)))
    }

    /// sqrt(Σ over trajectories of Σ (v − its trajectory's mean)² / Σ (v − the overall mean)²):
    /// 0 for a quantity constant on every trajectory, about 1 for one that varies as much along
    /// a trajectory as across them; nil when v is constant over the data. This says whether a
    /// learned P_i is conserved at all, before any fit: a P_i that fails identification with a
    /// small drift is a function of invariants the known ones do not span.
    static func drift(_ v: [Double], trajectories ids: [Int]) -> Double? {
        guard v.count == ids.count, !v.isEmpty else { return nil }
        var sums: [Int: (Double, Int)] = [:]
        for (x, id) in zip(v, ids) { let s = sums[id] ?? (0, 0); sums[id] = (s.0 + x, s.1 + 1) }
        let mean = v.reduce(0, +) / Double(v.count)
        var within = 0.0, total = 0.0
        for (x, id) in zip(v, ids) {
            let s = sums[id]!, m = s.0 / Double(s.1)
            within += (x - m) * (x - m); total += (x - mean) * (x - mean)
        }
        return total > 0 ? (within / total).squareRoot() : nil
    }

    /// Which known quantities the learned P_i hold together: each known K regressed on
    /// (1, P_1, …, P_n) over the data, its R² against `threshold`. Any invertible mixing of
    /// conserved quantities is conserved and, for commuting ones, in involution, so a model may
    /// learn P_1 = Px + A_x and P_2 = Px − A_x: neither P_i alone is Px, but their span holds it.
    /// One line, for two or more P_i; a known K whose regression cannot be made is left out.
    static func span(_ values: [(name: String, values: [Double])], known columns: [[Double]], labels: [String], threshold: Double) -> [String] {
        guard values.count >= 2 else { return [] }
        var held: [String] = [], missed: [String] = []
        for (column, label) in zip(columns, labels) {
            guard let id = try? Identification.identify(column, in: values.map(\.values), names: values.map(\.name)) else { continue }
            let entry = "\(label) (R² \(format(id.rSquared, 4)))"
            if id.rSquared >= threshold { held.append(entry) } else { missed.append(entry) }
        }
        let names = values.map(\.name).joined(separator: ", ")
        return ["together: span(\(names)) holds " + (held.isEmpty ? "none of the known quantities" : held.joined(separator: ", "))
                + (missed.isEmpty ? "" : "; not " + missed.joined(separator: ", "))]
    }

    /// Pairs of learned P_i that are nearly one quantity (|correlation| ≥ 0.99 over the data):
    /// each may be identified and proven, yet together they are fewer independent conserved
    /// quantities than cyclic pairs.
    static func dependence(_ values: [(name: String, values: [Double])]) -> [String] {
        func correlation(_ a: [Double], _ b: [Double]) -> Double {
            let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
            var ab = 0.0, aa = 0.0, bb = 0.0
            for (x, y) in zip(a, b) { ab += (x - ma) * (y - mb); aa += (x - ma) * (x - ma); bb += (y - mb) * (y - mb) }
            return aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : 0
        }
        var notes: [String] = []
        for i in values.indices { for j in values.indices where j > i {
            let r = correlation(values[i].values, values[j].values)
            if abs(r) >= 0.99 {
                notes.append("dependent: \(values[i].name) and \(values[j].name) are nearly one quantity (correlation \(format(r, 4)) over the data), so the cyclic P_i hold fewer independent conserved quantities than their number")
            }
        } }
        return notes
    }

    /// {C, H} = 0 with the system's parameters as symbols; when that fails, again at the data's
    /// parameter values, which is what the data can tell: the two-body Lrel of SCNN eq. 11 is
    /// conserved only when m1 = m2, and the data has m1 = m2 = 1.
    static func prove(_ c: Expr, hamiltonian: Expr, bracket: PoissonBracket, parameters: [String: Double]) -> String {
        let general = Simplifier.areZero([bracket(c, hamiltonian)])[0]
        let used = parameters.keys.filter { c.freeSymbols.contains($0) || hamiltonian.freeSymbols.contains($0) }.sorted()
        guard !general.isZero, !used.isEmpty else { return general.verdict }
        var values: [Expr: Expr] = [:]
        for name in used {
            let v = parameters[name]!
            values[.symbol(name)] = v == v.rounded() && abs(v) < 1e15 ? .integer(Int(v)) : .float(v)
        }
        let specific = Simplifier.areZero([bracket(c.substitute(values), hamiltonian.substitute(values))])[0]
        guard specific.isZero else { return general.verdict }
        let at = used.map { "\($0) = \(TextPrinter().print(values[.symbol($0)]!))" }.joined(separator: ", ")
        return "\(specific.verdict) at the data's \(at) (false with them as symbols)"
    }

    /// The Hamiltonian of the system the data came from, with its bracket: the catalog's (by
    /// name, parameters kept as symbols), or the one a dataset of a typed H carries.
    static func truth(of data: Dataset, _ call: BoundCall) throws -> (Expr, PoissonBracket) {
        let system: HamiltonianSystem
        do { system = try data.sourceSystem() } catch {
            throw call.fail("the data's system '\(data.system)' cannot be rebuilt to prove with: \(error)", at: call.positional[1].location)
        }
        if let mismatch = data.columnMismatch(with: system) { throw call.fail(mismatch, at: call.positional[1].location) }
        return (system.hamiltonian, PoissonBracket(system.pairs))
    }

    /// `a K1 + b K2 (R² r)` with standard errors.
    static func describe(_ id: Identification) -> String {
        var text = ""
        for (k, name) in id.names.enumerated() {
            let c = id.coefficients[k]
            let term = "\(format(abs(c), 3)) (±\(format(id.standardErrors[k], 2))) \(name)"
            text += text.isEmpty ? (c < 0 ? "-" : "") + term : (c < 0 ? " - " : " + ") + term
        }
        return text + " + const (R² \(format(id.rSquared, 6)))"
    }

    /// The identified combination with its material weights as small rationals relative to the
    /// largest, cleared to coprime integers; nil when a ratio has no rational with denominator
    /// ≤ 100 within 3 standard errors, counted over `trajectories` orbits. A weight is material
    /// when it is beyond 3 standard errors and its term carries at least `share` of the
    /// combination's spread (|c_k| sd(K_k) against the largest such): a learned coordinate's
    /// slight mixing with another invariant (P ≈ 1.12 Px + 0.008 H) is the network's error, not
    /// a law.
    static func rationalCombination(_ id: Identification, of terms: [Expr], columns: [[Double]], trajectories: Int, share: Double = 0.02) -> Expr? {
        let weight = id.coefficients.indices.map { abs(id.coefficients[$0]) * spread(columns[$0]) }
        let largest = weight.max() ?? 0
        // The standard errors assume independent rows, but the rows of one trajectory are
        // samples of one orbit: the learned coordinate's error along it is one error, not many.
        // With rows/trajectories samples each, the independent count is about the trajectories',
        // so the errors grow by sqrt(rows/trajectories) (0.323 Px − 0.644 Py from 40,000 rows of
        // 800 orbits: ratio −1.994 ± 0.0018 by the row count, ± 0.013 by the orbits').
        let rows = columns.first?.count ?? 0
        let inflation = trajectories > 0 && rows > trajectories ? (Double(rows) / Double(trajectories)).squareRoot() : 1
        let error = id.standardErrors.map { $0 * inflation }
        let significant = id.coefficients.indices.filter { abs(id.coefficients[$0]) > 3 * error[$0] && weight[$0] >= share * largest }
        guard let pivot = significant.max(by: { abs(id.coefficients[$0]) < abs(id.coefficients[$1]) }) else { return nil }
        let p = id.coefficients[pivot]
        var parts: [(Rational, Expr)] = []
        for k in significant {
            // The pivot's ratio is 1 by construction; with wide errors the simplest rational
            // within its tolerance could be 0, which would drop every term.
            if k == pivot { parts.append((Rational(1), terms[k])); continue }
            let ratio = id.coefficients[k] / p
            let tolerance = max(3 * (error[k] + abs(ratio) * error[pivot]) / abs(p), 1e-9)
            guard let q = RationalReconstruction.simplest(ratio, tolerance: tolerance, maximumDenominator: 100) else { return nil }
            // A material weight whose ratio cannot be told from 0 leaves the combination
            // undetermined: the pivot alone would be another quantity.
            guard !q.isZero else { return nil }
            parts.append((q, terms[k]))
        }
        return cleared(parts)
    }

    /// Σ q_k term_k with the rationals q_k multiplied by their denominators' lcm, so that the
    /// weights are integers; nil past an lcm of 10^12, where the "small" rationals have stopped
    /// being small together.
    static func cleared(_ parts: [(Rational, Expr)]) -> Expr? {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        var lcm = 1
        for (q, _) in parts {
            guard let d = Int(q.denominator.description) else { return nil }
            lcm = lcm / gcd(lcm, d) * d
            guard lcm <= 1_000_000_000_000 else { return nil }
        }
        return Expr.sum(parts.map { Expr.rational($0.0 * Rational(lcm)) * $0.1 })
    }

    /// For a quantity the known ones are constant along (a learned action against integrals),
    /// the orbits are the independent samples: y's mean over each trajectory regressed on the
    /// known quantities' means, with that regression's covariance of the weights. The material
    /// weights (each carrying at least `share` of the combination's spread) must each be beyond
    /// 3 standard errors, and so must each one's ratio to the largest, σ_r² = (V_jj − 2r V_jp +
    /// r² V_pp)/c_p²; otherwise the combination is undetermined (nil). Then the ratios become
    /// the simplest rationals (denominator ≤ 100) within 3 σ_r when every one has one, or else
    /// each is rounded to the decade of its σ_r (−0.4718 ± 0.031 → −0.47); cleared to integers.
    /// Returns the combination as an exact formula and a line saying how its weights were
    /// chosen; nil also with fewer than twice as many orbits as weights.
    static func roundedCombination(_ y: [Double], of terms: [Expr], columns: [[Double]], labels: [String], trajectories ids: [Int], share: Double = 0.02)
        -> (Expr, String)? {
        var order: [Int: Int] = [:]
        for id in ids where order[id] == nil { order[id] = order.count }
        let orbits = order.count, k = terms.count
        guard orbits >= 2 * (k + 1), y.count == ids.count, columns.count == k else { return nil }
        func means(_ v: [Double]) -> [Double] {
            var sums = [Double](repeating: 0, count: orbits), counts = [Double](repeating: 0, count: orbits)
            for (x, id) in zip(v, ids) { sums[order[id]!] += x; counts[order[id]!] += 1 }
            return zip(sums, counts).map { $0 / $1 }
        }
        let target = means(y), meanColumns = columns.map(means)
        var design = [Double](repeating: 1, count: orbits * (k + 1))
        for i in 0..<orbits { for j in 0..<k { design[i * (k + 1) + j + 1] = meanColumns[j][i] } }
        guard let fit = try? LeastSquares.solve(design: design, rows: orbits, columns: k + 1, targets: target), fit.effectiveRank == k + 1 else { return nil }
        let c = Array(fit.coefficients.dropFirst())
        func V(_ i: Int, _ j: Int) -> Double { fit.covariance[(i + 1) * (k + 1) + j + 1] }
        let total = target.reduce(0) { $0 + ($1 - target.reduce(0, +) / Double(orbits)) * ($1 - target.reduce(0, +) / Double(orbits)) }
        let rSquared = total > 0 ? 1 - fit.residualSumOfSquares / total : 1
        let weight = c.indices.map { abs(c[$0]) * spread(meanColumns[$0]) }
        let largest = weight.max() ?? 0
        let material = c.indices.filter { weight[$0] > 0 && weight[$0] >= share * largest }
        // A material weight that cannot be told from 0 leaves the combination undetermined.
        guard !material.isEmpty, material.allSatisfy({ abs(c[$0]) > 3 * max(0, V($0, $0)).squareRoot() }) else { return nil }
        let pivot = material.max { abs(c[$0]) < abs(c[$1]) }!
        var ratios: [(term: Int, ratio: Double, sigma: Double)] = []
        for j in material where j != pivot {
            let r = c[j] / c[pivot]
            let sigma = max(0, V(j, j) - 2 * r * V(j, pivot) + r * r * V(pivot, pivot)).squareRoot() / abs(c[pivot])
            guard sigma.isFinite, abs(r) > 3 * sigma else { return nil }
            ratios.append((j, r, sigma))
        }
        let source = "from the \(orbits) orbits' means (R² \(format(rSquared, 4)))"
        if ratios.isEmpty {
            return (terms[pivot], source + ": only \(labels[pivot])'s weight is material (each other carries under \(format(share * 100, 2))% of the combination's spread)")
        }
        let shown = source + ": " + ratios.map { "\(labels[$0.term])/\(labels[pivot]) = \(format($0.ratio, 4)) ± \(format($0.sigma, 2))" }.joined(separator: ", ")
        let simplest = ratios.map { RationalReconstruction.simplest($0.ratio, tolerance: max(3 * $0.sigma, 1e-12), maximumDenominator: 100) }
        if simplest.allSatisfy({ $0.map { !$0.isZero } ?? false }), let exact = cleared([(Rational(1), terms[pivot])] + zip(simplest, ratios).map { ($0!, terms[$1.term]) }) {
            return (exact, shown + " (standard errors); the simplest rationals within 3 of them")
        }
        var parts: [(Rational, Expr)] = [(Rational(1), terms[pivot])]
        for (j, ratio, sigma) in ratios {
            // The decade of the error: 10^places = 1/step (at most 10^9, 9 places).
            let places = sigma > 0 ? max(0, min(9, -Int(floor(log10(sigma))))) : 9
            let unit = Int(pow(10, Double(places)))
            let digits = (ratio * Double(unit)).rounded()
            guard digits != 0, abs(digits) < 1e15 else { return nil }
            parts.append((Rational(Int(digits), unit), terms[j]))
        }
        guard let candidate = cleared(parts) else { return nil }
        return (candidate, shown + " (standard errors); no rational of denominator at most 100 lies within 3 of them, so each is rounded to its error: the data's weights, not a law")
    }

    /// The standard deviation of v (0 for no values): how much a term varies over the data.
    static func spread(_ v: [Double]) -> Double {
        let mean = v.reduce(0, +) / Double(max(1, v.count))
        return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, v.count))).squareRoot()
    }

    static func label(_ e: Expr) -> String {
        if case .sum = e.kind { return "(" + TextPrinter().print(e) + ")" }
        return TextPrinter().print(e)
    }

    static func format(_ x: Double, _ digits: Int) -> String { TextPrinter.format(x, significantDigits: digits) }
}
