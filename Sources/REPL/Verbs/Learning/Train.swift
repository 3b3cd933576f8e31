import Foundation
import Symbolic
import Dynamics
import Learn

/// `train(hnn, data, hidden: 200, layers: 2, steps: 2000, lr: 1e-3, batch: 0, seed: 0,
/// checkpoint: "file")`: a new model trained on a dataset's train split.
enum Train: Verb {
    static let signature = Signature(
        name: "train", family: .learning, usage: "train(hnn, data, hidden: 200, layers: 2, steps: 2000, lr: 1e-3, batch: 0, seed: 0, checkpoint: \"m.ckpt\")",
        summary: "trains a model of one of the kinds (" + ModelRegistry.entries.map { "\($0.name): \($0.summary)" }.joined(separator: "; ") + ") on a dataset's train split with Adam; batch 0 is full batch; plateau: 0.5, patience: 100 cut the rate when the loss stalls; checkpoint: writes model and optimizer as it goes. A loss or gradient that is not finite, an output that can overflow or a loss above 1e6 times the run's lowest (divergence) stops it with the last parameters that passed; the train loss shown is that of the parameters kept. An HNN's learned Hamiltonian is model.H([q, p]) or model.H(trajectory)",
        example: "train(hnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 16, steps: 20, lr: 0.01)",
        positional: [.required("KIND", "the model kind: " + ModelRegistry.names.joined(separator: ", ")), .required("data", "a dataset (from dataset or read)")],
        options: modelOptions + TrainingRun.options)

    /// The options of every model kind, declared once in `ModelRegistry` (a kind's build reads
    /// those it declares; the kinds that declare each are named in its help).
    static let modelOptions: [OptionDeclaration] = {
        var out: [OptionDeclaration] = [], kinds: [String: [String]] = [:]
        for entry in ModelRegistry.entries {
            for option in entry.options {
                kinds[option.name, default: []].append(entry.name)
                // A word option two kinds declare takes the words of both here; each kind reads
                // it with its own list.
                if let k = out.firstIndex(where: { $0.label == option.name }) {
                    // A word option two kinds declare with other words is read by each kind with
                    // its own list (so the message names that kind's words); here it is custom.
                    let known: [String]? = { switch out[k].kind { case .word(let w): return w; case .custom(let t): return t.hasPrefix("one of ") ? t.dropFirst(7).components(separatedBy: " (by kind)")[0].components(separatedBy: ", ") : nil; default: return nil } }()
                    if case .word(let words) = option.kind, let known {
                        out[k].kind = .custom("one of " + (known + words.filter { !known.contains($0) }).joined(separator: ", ") + " (by kind)")
                        // Each kind's own default, when they differ.
                        if case .word(let mine) = option.defaultValue, mine != out[k].defaultText?.components(separatedBy: " (").first {
                            let firstKind = kinds[option.name]!.first!
                            let earlier = out[k].defaultText.map { $0.contains("(") ? $0 : "\($0) (\(firstKind))" } ?? ""
                            out[k].defaultText = earlier + ", \(mine) (\(entry.name))"
                        }
                    }
                    continue
                }
                let kind: OptionDeclaration.Kind, defaultValue: Double?, defaultText: String?
                switch (option.kind, option.defaultValue) {
                case (.whole(let r), .whole(let v)): (kind, defaultValue, defaultText) = (.whole(r), Double(v), nil)
                case (.number(let r), .number(let v)): (kind, defaultValue, defaultText) = (.custom("a number from \(OptionText.number(r.lowerBound)) to \(OptionText.number(r.upperBound))"), v, nil)
                case (.word(let words), .word(let w)): (kind, defaultValue, defaultText) = (.word(words), nil, w)
                case (.numbers, .numbers(let v)): (kind, defaultValue, defaultText) = (.custom("a number, or a list of them (one per plane)"), nil, "[" + v.map(OptionText.number).joined(separator: ", ") + "]")
                case (.invariants, .invariants): (kind, defaultValue, defaultText) = (.expressions, nil, "none")
                default: preconditionFailure("\(entry.name)'s option '\(option.name)' has a default of another kind")
                }
                out.append(OptionDeclaration(option.name, kind, default: defaultValue, defaultText: defaultText, option.help))
            }
        }
        return out.map { o in
            var o = o
            if kinds[o.label]!.count < ModelRegistry.entries.count { o.help += " (\(kinds[o.label]!.joined(separator: ", ")))" }
            return o
        }
    }()

    static func run(_ call: BoundCall) throws -> Value {
        guard case .name(let kind, let kindAt) = call.positional[0] else {
            throw call.fail("train's first argument is the model kind: \(ModelRegistry.names.joined(separator: ", "))", at: call.positional[0].location)
        }
        // An unknown kind is named with the kinds there are and the closest one.
        let entry: ModelRegistry.Entry
        do { entry = try ModelRegistry.entry(kind) } catch { throw call.fail("\(error)", at: kindAt, width: kind.count) }
        // A variational kind (nct) trains on a Hamiltonian alone: train(nct, H, beta: 1).
        let data: Dataset
        if entry.variational, case .expr = try call.evaluation.value(call.positional[1]) {
            data = try hamiltonianData(call)
        } else {
            data = try call.dataset(1, samples: entry.variational)
        }
        let run = try TrainingRun(call, rate: nil)
        // The model options given, each read as its declaration says; the kind's own defaults
        // fill in the rest.
        var options: [String: ModelRegistry.Value] = [:]
        for declared in modelOptions where call.has(declared.label) {
            guard let option = entry.options.first(where: { $0.name == declared.label }) else {
                // Another kind's option, or a typo of a training option (step for steps).
                let typo = ExprBuilder.suggestion(for: declared.label, among: TrainingRun.options.map(\.label)).map { "; did you mean '\($0)'?" } ?? ""
                throw call.fail("a \(kind) model has no option '\(declared.label):' (its options: \(entry.options.map(\.name).joined(separator: ", ")))" + typo, at: call.location(of: declared.label))
            }
            // Read with the chosen kind's own declaration (two kinds may give one name other ranges).
            let syntax = call.option(option.name)!
            switch option.kind {
            case .whole(let range): options[option.name] = .whole(try call.evaluation.wholeOption(syntax, option.name, in: range))
            case .number(let range):
                let v = try call.evaluation.numberOption(syntax, option.name)
                guard range.contains(v) else {
                    throw call.fail("'\(option.name):' takes a number from \(OptionText.number(range.lowerBound)) to \(OptionText.number(range.upperBound)), not \(OptionText.number(v))", at: syntax.location)
                }
                options[option.name] = .number(v)
            case .word(let words): options[option.name] = .word(try call.evaluation.wordOption(syntax, option.name, allowed: words))
            case .numbers(let range):
                let v = try call.evaluation.numberOrNumbers(syntax, option.name)
                guard !v.isEmpty else { throw call.fail("'\(option.name):' takes a list of at least one number", at: syntax.location) }
                if let bad = v.first(where: { !range.contains($0) }) {
                    throw call.fail("'\(option.name):' takes numbers from \(OptionText.number(range.lowerBound)) to \(OptionText.number(range.upperBound)), not \(OptionText.number(bad))", at: syntax.location)
                }
                options[option.name] = .numbers(v)
            case .invariants: options[option.name] = .invariants(try invariants(syntax, option.name, of: data, call), coordinates: data.names)
            }
        }
        // An nct fits samples by likelihood and a Hamiltonian variationally, unless told.
        if entry.options.contains(where: { $0.name == "objective" }) && !call.has("objective") {
            options["objective"] = .word(data.count == 0 ? "variational" : "likelihood")
        }
        if case .word("variational")? = options["objective"], data.isSamples {
            throw call.fail("configuration samples carry no Hamiltonian to be variational about; they are fitted by likelihood (objective: likelihood)", at: call.location(of: "objective"))
        }
        if call.has("alpha3") && !call.has("constraints") {
            throw call.fail("'alpha3:' weighs the constraint term, which needs constraints: [...] (known conserved quantities)", at: call.location(of: "alpha3"))
        }
        // One step's work grows as parameters x batch rows: refuse what would take minutes.
        let rows: Int, cost: TrainingCost
        do {
            rows = try ModelRegistry.stepRows(kind, options: options, batch: run.batch, dataRows: data.count)
            cost = try ModelRegistry.trainingCost(kind, options: options, dimension: data.phaseSpaceDimension, rows: rows)
        } catch {
            throw call.fail("\(error)", at: call.positional[0].location)
        }
        let perItem = run.batch > 0 ? max(1, rows / run.batch) : 1
        guard cost.work <= TrainingCost.limit else {
            throw call.fail("one training step would cost about \(TextPrinter.format(cost.work, significantDigits: 3)) parameter-rows "
                            + "(\(cost.parameters) parameters x \(rows) rows), more than the limit of \(TextPrinter.format(TrainingCost.limit, significantDigits: 3)) "
                            + "(several seconds a step); use fewer hidden units or layers, or a batch: of at most \(max(1, Int(TrainingCost.limit / Double(cost.parameters) / Double(perItem))))"
                            + (perItem > 1 ? " trajectories (\(perItem) points each)" : " rows"))
        }
        let model: any Model
        do { model = try ModelRegistry.build(kind, options: options, data: data, seed: run.seed) } catch {
            throw call.fail("\(error)", at: call.positional[0].location)
        }
        return try run.train(model, optimizer: Adam(learningRate: run.rate), schedule: nil, on: data, call)
    }

    /// The session's H (an expression over its canonical pairs) as data with no rows: what a
    /// variational model needs is the system, its coordinates and parameter values. Symbols of H
    /// other than the coordinates take the loaded system's parameter values.
    static func hamiltonianData(_ call: BoundCall) throws -> Dataset {
        let (h, parameters) = try DatasetVerb.sessionHamiltonian(call, argument: 1) { "\(call.name)(..., subs(H, \($0): 1), ...)" }
        let names = call.session.pairs.map(\.q) + call.session.pairs.map(\.p)
        guard h.freeSymbols.contains(where: names.contains) else {
            throw call.fail("H is a constant; a variational model needs a Hamiltonian of (\(names.joined(separator: ", ")))", at: call.positional[1].location)
        }
        let name = call.session.system.map { $0.hamiltonian == h ? $0.name : "custom" } ?? "custom"
        return Dataset.hamiltonian(h, system: name, names: names, parameters: parameters)
    }

    /// `constraints: [Px, Py, L]`: expressions of the data's coordinates, its parameters replaced
    /// by their values. Each item's error points at the item: a value that is no expression, a
    /// constant, a symbol that is neither a coordinate nor a parameter of the data.
    static func invariants(_ syntax: Syntax, _ label: String, of data: Dataset, _ call: BoundCall) throws -> [Expr] {
        let evaluation = call.evaluation
        let value = try evaluation.value(syntax)
        guard case .list(let values) = value else {
            throw call.fail("'\(label):' is a list of conserved quantities such as [Px, Py, L], not \(value.kindName)", at: syntax.location)
        }
        guard !values.isEmpty else { throw call.fail("'\(label):' needs at least one conserved quantity", at: syntax.location) }
        // Each item where it is written, when the list is written out here.
        let places: [SourceLocation] = { if case .list(let items, _) = syntax, items.count == values.count { return items.map(\.location) }; return values.map { _ in syntax.location } }()
        let coordinates = data.names.joined(separator: ", ")
        let parameters = data.parameters.keys.sorted()
        let parameterValues = data.parameters.sorted { $0.key < $1.key }.map { (Expr.symbol($0.key), Expr.float($0.value)) }
        return try zip(values, places).enumerated().map { k, item in
            let (v, at) = item
            guard case .expr(let e) = v else {
                throw call.fail("constraint \(k + 1) is \(v.kindName), not an expression of the data's coordinates (\(coordinates))", at: at)
            }
            let symbols = e.freeSymbols.sorted()
            if let unknown = symbols.first(where: { !data.names.contains($0) && data.parameters[$0] == nil }) {
                throw call.fail("constraint \(k + 1) names '\(Diagnostic.escaped(unknown))', which is not a coordinate of the data (coordinates: \(coordinates)"
                                + (parameters.isEmpty ? ")" : "; parameters: \(parameters.joined(separator: ", ")))"), at: at)
            }
            guard symbols.contains(where: { data.names.contains($0) }) else {
                throw call.fail("constraint \(k + 1) is \(Diagnostic.escaped(TextPrinter().print(e))), a constant: its bracket with any H is 0; give a conserved quantity of (\(coordinates))", at: at)
            }
            return parameterValues.isEmpty ? e : e.substitute(Dictionary(uniqueKeysWithValues: parameterValues))
        }
    }
}
