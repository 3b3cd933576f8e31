import Foundation
import Dynamics

/// A hyper-parameter scan: a notebook template whose parameters are written `${name}`, and a
/// grid of values for each. Every point of the grid (a configuration) is one run of the filled
/// template in its own folder of the scan's out folder:
///
///     OUT/scan.json                 this plan (template text, grid, configurations)
///     OUT/NAME/notebook.txt         the filled template, as run
///     OUT/NAME/transcript.txt       its transcript
///     OUT/NAME/metrics.json         configuration, recorded metrics, wall time, peak memory, status
///     OUT/NAME/…                    whatever the notebook wrote (checkpoints), run from that folder
///     OUT/.work/                    configurations being run (renamed into place when done)
///     OUT/logs/                     Slurm's %A_%a logs
///
/// NAME lists the configuration (`alpha1=1e-3,alpha2=1,seed=0`). The plan is written once; a
/// later scan into the same folder must be the same plan (it resumes) or is refused, so nothing
/// computed is overwritten by a different experiment.
public struct ScanPlan: Codable, Equatable, Sendable {
    public struct Parameter: Codable, Equatable, Sendable {
        public var name: String
        /// The values as written (`1e-3` stays `1e-3` in the filled template and the folder name).
        public var values: [String]

        public init(name: String, values: [String]) { self.name = name; self.values = values }
    }

    public struct Configuration: Codable, Equatable, Sendable {
        public var index: Int
        public var name: String
        /// (parameter, value) in the grid's order.
        public var values: [[String]]

        public func value(of parameter: String) -> String? { values.first { $0[0] == parameter }?[1] }
    }

    public var version = 1
    /// The template's path as given, and its text when the plan was made.
    public var template: String
    public var templateText: String
    public var grid: [Parameter]
    public var configurations: [Configuration]

    /// The largest grid a scan takes (a Slurm array of this size is already past most clusters'
    /// MaxArraySize; see docs/scans.md).
    public static let largestGrid = 100_000

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// The plan for `template` (its text) over `grid`: checks that the grid is not empty, that
    /// every parameter is named in the template and every `${name}` of the template is in the
    /// grid, and that values are plain (no spaces, quotes or path separators).
    public init(template: String, text: String, grid: [Parameter]) throws {
        guard !grid.isEmpty else { throw Failure("the grid is empty: give each template parameter a list of values, as in grid: [alpha1: [1e-3, 1e-2], seed: [0, 1]]") }
        var seen = Set<String>()
        for p in grid {
            guard seen.insert(p.name).inserted else { throw Failure("the grid names '\(p.name)' twice") }
            guard !p.values.isEmpty else { throw Failure("the grid gives '\(p.name)' no values: an empty list makes an empty scan") }
            for v in p.values where v.isEmpty || v.contains(where: { $0.isWhitespace || "\"'/\\,=$`".contains($0) }) {
                throw Failure("the value '\(v)' of '\(p.name)' cannot name a folder: values are numbers or plain words")
            }
            if Set(p.values).count < p.values.count { throw Failure("the grid gives '\(p.name)' the same value twice") }
        }
        let used = ScanPlan.parameters(in: text)
        if let unknown = grid.first(where: { !used.contains($0.name) }) {
            let known = used.isEmpty ? "it names none (write ${\(unknown.name)} where the value goes)" : "it names " + used.sorted().map { "${\($0)}" }.joined(separator: ", ")
            throw Failure("the template \(template) has no parameter '\(unknown.name)': \(known)")
        }
        if let missing = used.sorted().first(where: { !seen.contains($0) }) {
            throw Failure("the template \(template) uses ${\(missing)}, which the grid does not give: add \(missing): [...] to the grid")
        }
        let count = grid.reduce(1) { $0.multipliedReportingOverflow(by: $1.values.count).overflow ? Int.max : $0 * $1.values.count }
        guard count <= ScanPlan.largestGrid else { throw Failure("the grid has \(count == Int.max ? "too many" : String(count)) configurations; a scan takes at most \(ScanPlan.largestGrid)") }
        self.template = template
        self.templateText = text
        self.grid = grid
        var configurations: [Configuration] = []
        var index = [Int](repeating: 0, count: grid.count)
        for k in 0..<count {
            let values = grid.indices.map { [grid[$0].name, grid[$0].values[index[$0]]] }
            configurations.append(Configuration(index: k, name: values.map { "\($0[0])=\($0[1])" }.joined(separator: ","), values: values))
            // The last parameter varies fastest.
            var j = grid.count - 1
            while j >= 0 { index[j] += 1; if index[j] < grid[j].values.count { break }; index[j] = 0; j -= 1 }
        }
        self.configurations = configurations
    }

    /// The `${name}` parameters a template names.
    static func parameters(in text: String) -> Set<String> {
        var names = Set<String>()
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            names.insert(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The template with the configuration's values in place of its parameters.
    public func filled(_ c: Configuration) -> String {
        var text = templateText
        for pair in c.values { text = text.replacingOccurrences(of: "${\(pair[0])}", with: pair[1]) }
        return text
    }

    // MARK: The out folder

    static func planPath(_ out: String) -> String { (out as NSString).appendingPathComponent("scan.json") }

    /// Writes the plan into `out` (made if missing), or checks that the plan already there is
    /// this one. Refuses a folder that cannot be written.
    public func prepare(out: String) throws {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw Failure("cannot make the out folder \(out): \(ScanPlan.reason(error))")
        }
        guard fm.isWritableFile(atPath: out) else { throw Failure("the out folder \(out) is not writable") }
        let path = ScanPlan.planPath(out)
        if fm.fileExists(atPath: path) {
            let existing: ScanPlan
            do { existing = try ScanPlan.read(out: out) } catch {
                throw Failure("\(path) exists but is not a scan plan (\(error)): choose another out folder")
            }
            guard existing.grid == grid, existing.templateText == templateText else {
                let what = existing.grid != grid ? "a different grid (\(existing.gridText))" : "a different template text (\(existing.template) as it was)"
                throw Failure("\(out) holds a scan with \(what): its results are kept; choose another out folder, or delete it to start over")
            }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try AtomicFile.write(try encoder.encode(self), to: path) } catch {
            throw Failure("cannot write \(path): \(ScanPlan.reason(error))")
        }
    }

    public static func read(out: String) throws -> ScanPlan {
        let path = planPath(out)
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure("\(out) holds no scan (no \(path))") }
        do { return try JSONDecoder().decode(ScanPlan.self, from: data) } catch {
            throw Failure("\(path) is not a scan plan: \(error)")
        }
    }

    var gridText: String { grid.map { "\($0.name): [\($0.values.joined(separator: ", "))]" }.joined(separator: ", ") }

    static func reason(_ error: Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
