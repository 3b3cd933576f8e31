import Symbolic

/// What `discover` found: a row per conserved latent coordinate, and the exact candidates as
/// members (`c.P1` is P1's candidate, an expression the session can use).
struct DiscoveryValue: ObjectValue {
    struct Row {
        var name: String
        /// The fit's one-line form, with its selected degree.
        var fit: String
        /// How it was identified in the span of the known quantities (coefficients, R²), or why not.
        var identification: String
        /// How far it moves along the data's trajectories against its spread over the data, or
        /// nil when it is constant.
        var drift: Double? = nil
        var candidate: Expr?
        /// How the candidate's weights were chosen from the orbits' means (a flow's action
        /// against integrals): small rationals, or each rounded to its error.
        var weights: String? = nil
        /// The proof's verdict on the candidate (`true`, `false`, `true (numeric, …)`), or why none.
        var verdict: String
    }

    var rows: [Row]
    /// Lines under the table: pairs of P_i that are nearly one quantity.
    var notes: [String] = []

    var kindName: String { "a discovery" }

    var display: String {
        var lines: [String] = []
        for r in rows {
            lines.append(r.fit)
            if let drift = r.drift {
                lines.append("  along the data: drifts by \(TextPrinter.format(drift * 100, significantDigits: 2))% of its spread within a trajectory")
            }
            lines.append("  identified: \(r.identification)")
            if let weights = r.weights { lines.append("  candidate's weights: \(weights)") }
            lines.append("  exact candidate: " + (r.candidate.map { TextPrinter().print($0) } ?? "none") + "; conserved: \(r.verdict)")
        }
        return (lines + notes).joined(separator: "\n")
    }

    var html: String? {
        let table = TextTable(header: ["", "fit", "identified", "exact candidate", "conserved"], rows: rows.map { r in
            [r.name, r.fit + (r.drift.map { "; drifts by \(TextPrinter.format($0 * 100, significantDigits: 2))% of its spread" } ?? ""),
             r.identification + (r.weights.map { "; weights: \($0)" } ?? ""),
             r.candidate.map { TextPrinter().print($0) } ?? "none", r.verdict]
        }, below: notes)
        return table.html
    }

    func member(_ name: String, _ arguments: [Syntax.Argument]?, at location: SourceLocation, in evaluation: Evaluation) throws -> Value {
        guard arguments == nil else { throw evaluation.fail(".\(name) is not called", at: location, width: name.count) }
        guard let row = rows.first(where: { $0.name == name }) else {
            throw evaluation.fail("a discovery has the candidates " + rows.map { "." + $0.name }.joined(separator: ", "), at: location, width: name.count)
        }
        guard let candidate = row.candidate else { throw evaluation.fail("no exact candidate was found for \(name)", at: location, width: name.count) }
        return .expr(candidate)
    }
}
