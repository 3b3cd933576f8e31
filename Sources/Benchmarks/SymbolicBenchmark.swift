import Dynamics
import Foundation
import Symbolic

/// `noether bench symbolic`: the three suites of `shared/peers/sympy_brackets.py`, in process.
/// Each run builds the expressions from scratch (no parsing) and decides every zero exactly:
/// the brackets as `conserved` decides them (`Simplifier.areBracketsZero`, which forms each
/// bracket in an exact form from f's and g's forms), and kepler3d's two identities with
/// `Simplifier.areZero`; a suite that does not prove all its zeros exactly is an error.
public enum SymbolicBenchmark {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// name → a closure that builds the suite and returns the decisions.
    static let suites: [(String, @Sendable () throws -> [ZeroDecision])] = [
        ("kepler3d", {
            let s = Catalog.kepler3d()
            let pb = PoissonBracket(s.pairs)
            let d = Dictionary(uniqueKeysWithValues: s.definitions.map { ($0.name, $0.expr) })
            let (H, k) = (s.hamiltonian, Expr.symbol("k"))
            let A = (1...3).map { d["A\($0)"]! }, L = (1...3).map { d["L\($0)"]! }
            let AL = Expr.sum((0..<3).map { A[$0] * L[$0] })
            let AA = Expr.sum((0..<3).map { A[$0] * A[$0] }), LL = Expr.sum((0..<3).map { L[$0] * L[$0] })
            return Simplifier.areBracketsZero(A, H, pb) + Simplifier.areZero([AL, AA - k ** 2 - 2 * H * LL], budgeted: false)
        }),
        ("neumann3", {
            let s = try Catalog.neumann(n: 3)
            let pb = PoissonBracket(s.pairs)
            let I = s.invariants.map(\.expr)
            return Simplifier.areBracketsZero([I[0]], I[1], pb) + Simplifier.areBracketsZero([I[0], I[1]], I[2], pb)
                + Simplifier.areBracketsZero(I, s.hamiltonian, pb)
        }),
        ("calogero3", {
            let s = try Catalog.calogeroMoser(n: 3, harmonic: false, simplifyInvariants: false)
            let pb = PoissonBracket(s.pairs)
            return Simplifier.areBracketsZero(s.invariants.map(\.expr), s.hamiltonian, pb)
        }),
    ]

    /// One line per suite: `kepler3d: MEDIAN ms (min …, N runs, K zeros proven)`; `only` names
    /// the suites to run (all when nil).
    public static func run(runs: Int, only: [String]? = nil) throws -> [String] {
        let names = suites.map(\.0)
        if let unknown = only?.first(where: { !names.contains($0) }) {
            throw Failure(description: "unknown symbolic suite '\(unknown)' (available: \(names.joined(separator: ", ")))")
        }
        var lines: [String] = []
        for (name, suite) in suites where only?.contains(name) ?? true {
            let first = try suite()
            guard first.allSatisfy({ $0 == .zero }) else {
                throw Failure(description: "\(name): not every zero was proven exactly: \(first.map(\.verdict))")
            }
            var times: [Double] = []
            for _ in 0..<max(1, runs) {
                let start = DispatchTime.now().uptimeNanoseconds
                let decisions = try suite()
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                guard decisions.count == first.count else { throw Failure(description: "\(name): unstable result") }
                times.append(elapsed)
            }
            times.sort()
            let median = times[times.count / 2]
            lines.append(String(format: "%@: %.3f ms (min %.3f ms, %d runs, %d zeros proven exactly)",
                                name, median, times[0], times.count, first.count))
        }
        return lines
    }
}
