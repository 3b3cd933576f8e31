import Dispatch
import Foundation
import Synchronization

/// The partial-fraction zero test (`PartialFractionZeroTest`) on brackets whose numerators never
/// contain a variable that occurs in a denominator: Calogero–Moser's {tr L^k, H}, where the
/// numerators are monomials in the momenta and g, and the denominators products of powers of
/// q_i − q_j.
///
/// The zero test is then much simpler and much cheaper than in general:
/// - A term is c · M / D with M a monomial in the free variables. The terms with one M are zero
///   exactly when their coefficient of M is, so the test splits by M at once into independent
///   tests of sums Σ c_D / D, which run on all cores.
/// - A denominator is packed as one `Monomial` whose "variables" are the differences (slots),
///   ordered so that its leading slot names the variable to eliminate; a term is 32 bytes and a
///   coefficient, where the general form holds an array of factors and a polynomial.
/// - Eliminating x from a term with a constant numerator leaves no polynomial part (the degree
///   in x is below the denominator's) and only the Taylor coefficients of the other poles: the
///   numerator never grows. So every intermediate sum keeps this shape.
/// - Coefficients are Ints (f and g are first scaled to integers); one that would overflow
///   hands the bracket back to the general test, as does any other shape this does not hold.
/// - When f and g are unchanged by every permutation of the canonical pairs, only one
///   numerator per orbit is formed and tested (`symmetricMomenta`).
///
/// The argument that the test decides is the general one (see `PartialFractionZeroTest`): over
/// the field of the other variables, a rational function of x is zero exactly when every
/// coefficient of its partial-fraction decomposition is zero.
enum FlatFractions {
    /// Not of this shape, or more difference slots than a `Monomial` holds: the general test runs.
    struct NotApplicable: Error {}

    /// The differences v_hi − v_lo among the pole variables (lo = −1: v_hi alone), one slot each,
    /// sorted by (hi, lo) descending so that the first non-zero slot of a denominator has the
    /// highest variable, and the slots of one hi are contiguous.
    struct Slots {
        var pairs: [(hi: Int, lo: Int)] = []
        /// slot[hi][lo + 1], −1 where the pair has none.
        var slot: [[Int]] = []
        /// The contiguous slot range of each hi.
        var range: [Range<Int>] = []

        init(poles: [Int], withZero: Bool, variableCount: Int) throws {
            let sorted = poles.sorted(by: >)
            for (i, hi) in sorted.enumerated() {
                for lo in sorted[(i + 1)...] { pairs.append((hi, lo)) }
                if withZero { pairs.append((hi, -1)) }
            }
            guard pairs.count <= Monomial.maxVariables else { throw NotApplicable() }
            slot = Array(repeating: Array(repeating: -1, count: variableCount + 1), count: variableCount)
            range = Array(repeating: 0..<0, count: variableCount)
            for (s, p) in pairs.enumerated() {
                slot[p.hi][p.lo + 1] = s
                let r = range[p.hi]
                range[p.hi] = r.isEmpty ? s..<(s + 1) : r.lowerBound..<(s + 1)
            }
        }

        func index(_ hi: Int, _ lo: Int) throws -> Int {
            let s = slot[hi][lo + 1]
            guard s >= 0 else { throw NotApplicable() }
            return s
        }

        /// The highest variable in a denominator (−1 for none): the hi of its first slot.
        @inline(__always) func highest(_ d: Monomial) -> Int {
            let first: Int
            if d.w0 != 0 { first = d.w0.leadingZeroBitCount / 8 }
            else if d.w1 != 0 { first = 8 + d.w1.leadingZeroBitCount / 8 }
            else if d.w2 != 0 { first = 16 + d.w2.leadingZeroBitCount / 8 }
            else if d.w3 != 0 { first = 24 + d.w3.leadingZeroBitCount / 8 }
            else { return -1 }
            return pairs[first].hi
        }
    }

    /// A fixed-size key for `Table`: one packed monomial, or a numerator and a denominator.
    protocol TableKey: Sendable {
        static var empty: Self { get }
        static func mix(_ k: Self) -> Int
        static func same(_ a: Self, _ b: Self) -> Bool
    }

    /// (numerator, denominator), for the expansion of a whole sum in one table.
    struct Fraction: TableKey {
        var numerator: Monomial, denominator: Monomial
        static let empty = Fraction(numerator: Monomial.empty, denominator: Monomial.empty)
        @inline(__always) static func mix(_ k: Fraction) -> Int { Monomial.mix(k.numerator) &* 31 &+ Monomial.mix(k.denominator) }
        @inline(__always) static func same(_ a: Fraction, _ b: Fraction) -> Bool {
            Monomial.same(a.numerator, b.numerator) && Monomial.same(a.denominator, b.denominator)
        }
    }

    /// Σ c_K · K with integer coefficients, keyed by a packed key: an open-addressing table with
    /// linear probing and a cheap mix of the words (a Swift dictionary spends more on seeding and
    /// finalising its hash than on the rest of an insertion). Entries whose coefficient cancels
    /// to zero stay (a zero coefficient is skipped when reading); the key with every exponent 255
    /// marks an empty bucket, and `add` refuses it (`NotApplicable`).
    struct Table<K: TableKey>: Sendable {
        private(set) var keys: [K]
        private(set) var values: [Int]
        private(set) var count = 0
        private var mask: Int

        init(capacity: Int = 16) {
            var size = 16
            while size < 2 * capacity { size *= 2 }
            keys = Array(repeating: K.empty, count: size)
            values = Array(repeating: 0, count: size)
            mask = size - 1
        }

        /// Adds c to the coefficient of m; throws `NotApplicable` when it leaves Int's range.
        @inline(__always) mutating func add(_ m: K, _ c: Int) throws {
            var i = K.mix(m) & mask
            while true {
                let k = keys[i]
                if K.same(k, m) {
                    // m is the empty marker itself (every exponent 255, which products of keys
                    // can reach): it would land in an empty bucket as if present, and be lost.
                    if K.same(m, K.empty) { throw NotApplicable() }
                    let (sum, overflow) = values[i].addingReportingOverflow(c)
                    if overflow { throw NotApplicable() }
                    values[i] = sum
                    return
                }
                if K.same(k, K.empty) { break }
                i = (i + 1) & mask
            }
            keys[i] = m
            values[i] = c
            count += 1
            if 2 * count > mask + 1 { grow() }
        }

        private mutating func grow() {
            var bigger = Table(capacity: mask + 1)
            for i in keys.indices where !K.same(keys[i], K.empty) && values[i] != 0 {
                bigger.insertNew(keys[i], values[i])
            }
            self = bigger
        }

        @inline(__always) private mutating func insertNew(_ m: K, _ c: Int) {
            var i = K.mix(m) & mask
            while !K.same(keys[i], K.empty) { i = (i + 1) & mask }
            keys[i] = m
            values[i] = c
            count += 1
        }

        /// The value stored for m (zero included), nil when m was never added.
        func value(_ m: K) -> Int? {
            var i = K.mix(m) & mask
            while true {
                let k = keys[i]
                if K.same(k, m) { return values[i] }
                if K.same(k, K.empty) { return nil }
                i = (i + 1) & mask
            }
        }

        /// Each key with a non-zero coefficient.
        func forEach(_ body: (K, Int) throws -> Void) rethrows {
            for i in keys.indices where values[i] != 0 && !K.same(keys[i], K.empty) { try body(keys[i], values[i]) }
        }

        var isZero: Bool { !values.contains { $0 != 0 } }
    }

    /// A monomial as a dictionary key.
    struct Key: Hashable {
        var m: Monomial
        static func == (a: Key, b: Key) -> Bool { Monomial.same(a.m, b.m) }
        func hash(into hasher: inout Hasher) { hasher.combine(Monomial.mix(m)) }
    }

    @inline(__always) static func times(_ a: Int, _ b: Int) throws -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        if overflow { throw NotApplicable() }
        return p
    }

    /// A term c · numerator / denominator, c an integer.
    typealias Term = (numerator: Monomial, denominator: Monomial, c: Int)

    /// Whether {f, g} = Σ_pairs ∂f/∂q ∂g/∂p − ∂f/∂p ∂g/∂q is zero, for f and g in factored form
    /// numbered by `form`; throws `NotApplicable` when a numerator holds a pole variable, the
    /// differences do not fit the slots, or a coefficient leaves Int's range (f and g are first
    /// scaled to integer coefficients, which leaves the verdict as it is). Other errors (the
    /// budget, an interrupt) are the form's.
    static func bracketIsZero(_ f: DifferenceFractionSum, _ g: DifferenceFractionSum, pairs: [(q: Int, p: Int)],
                              _ form: DifferenceFractionForm) throws -> Bool {
        let count = form.names.count
        var poles = Set<Int>(), singles = Set<Int>()
        for s in [f, g] {
            for d in s.terms.keys {
                for factor in d {
                    poles.insert(factor.hi)
                    if factor.lo >= 0 { poles.insert(factor.lo) } else { singles.insert(factor.hi) }
                }
            }
        }
        // A pole at 0 (a factor v^m) meets every other pole: then each variable has a slot v − 0.
        let slots = try Slots(poles: Array(poles), withZero: !singles.isEmpty, variableCount: count)
        var poleMask = Monomial()
        for v in poles { poleMask[v] = 0xFF }
        func flat(_ s: DifferenceFractionSum) throws -> [Term] {
            // The least common multiple of the denominators makes every coefficient an integer.
            var scale = 1
            for n in s.terms.values {
                for t in n.terms {
                    guard t.coefficient.box == nil else { throw NotApplicable() }
                    let d = t.coefficient.d
                    var (a, b) = (scale, d)
                    while b != 0 { (a, b) = (b, a % b) }
                    scale = try times(scale / a, d)
                }
            }
            var out: [Term] = []
            out.reserveCapacity(s.terms.count)
            for (d, n) in s.terms {
                var den = Monomial()
                for factor in d {
                    guard factor.exponent < 255 else { throw NotApplicable() }
                    den[try slots.index(factor.hi, factor.lo)] = factor.exponent
                }
                for t in n.terms {
                    let m = t.monomial
                    guard m.w0 & poleMask.w0 | m.w1 & poleMask.w1 | m.w2 & poleMask.w2 | m.w3 & poleMask.w3 == 0 else {
                        throw NotApplicable()
                    }
                    out.append((m, den, try times(t.coefficient.n, scale / t.coefficient.d)))
                }
            }
            return out
        }
        let (fa, ga) = (try flat(f), try flat(g))
        // When f and g are symmetric under every permutation of the pairs (Calogero–Moser's
        // particles), so is the bracket, and only one numerator per orbit needs its test.
        let momenta = try symmetricMomenta(fa, ga, pairs: pairs, poles: poles, slots: slots)
        let poleSet = poles
        let derivative = { @Sendable (terms: [Term], v: Int) throws -> [Term] in
            var out: [Term] = []
            if poleSet.contains(v) {
                // ∂/∂v (v_hi − v_lo)^{−m} = ∓m (v_hi − v_lo)^{−m−1}, − when v is hi.
                var touching: [(slot: Int, sign: Int)] = []
                for (s, pair) in slots.pairs.enumerated() where pair.hi == v || pair.lo == v {
                    touching.append((s, pair.hi == v ? -1 : 1))
                }
                for t in terms {
                    for (s, sign) in touching {
                        let m = t.denominator[s]
                        if m == 0 { continue }
                        guard m < 254 else { throw NotApplicable() }
                        var d = t.denominator
                        d[s] = m + 1
                        out.append((t.numerator, d, try times(t.c, sign * m)))
                    }
                }
            } else {
                for t in terms {
                    let k = t.numerator[v]
                    if k == 0 { continue }
                    var m = t.numerator
                    m[v] = k - 1
                    out.append((m, t.denominator, try times(t.c, k)))
                }
            }
            return out
        }
        // The bracket's 2n products on all cores, each worker into its own tables (one per
        // numerator), the derivatives formed where they are used.
        try form.charge(2 * pairs.count * (fa.count + ga.count))
        let budget = Atomic<Int>(max(0, form.budget))
        // What the products spent leaves the form's budget before the sums draw on it (and
        // when the products fail).
        var charged = false
        defer { if !charged { form.budget = budget.load(ordering: .relaxed) } }
        let bracket = try parallel(2 * pairs.count, small: fa.count * ga.count < FlatFractions.smallWork) { (i: Int, out: inout ByNumerator) in
            let (q, p) = pairs[i / 2]
            let (a, b) = i % 2 == 0 ? (try derivative(fa, q), try derivative(ga, p)) : (try derivative(fa, p), try derivative(ga, q))
            let sign = i % 2 == 0 ? 1 : -1
            if budget.subtract(a.count * b.count, ordering: .relaxed).newValue < 0 { throw OverBudget() }
            // Consecutive products often share their numerator: its table is looked up once.
            var last = (numerator: Monomial.empty, position: -1)
            var done = 0
            for x in a {
                for y in b {
                    guard let m = x.numerator.times(y.numerator), let d = x.denominator.times(y.denominator) else {
                        throw NotApplicable()
                    }
                    if let momenta, !FlatFractions.isSorted(m, momenta) { continue }
                    if !Monomial.same(m, last.numerator) { last = (m, try out.position(m)) }
                    try out.tables[last.position].add(d, try times(try times(x.c, y.c), sign))
                }
                done += b.count
                if done >= 1 << 16 { done = 0; try Interrupt.check() }
            }
        }
        form.budget = budget.load(ordering: .relaxed)
        charged = true
        let sums = bracket.tables.filter { !$0.isZero }
        if sums.isEmpty { return true }
        return try allZero(sums, slots, form)
    }

    /// The momenta's variables in the pairs' order when f and g are unchanged by every
    /// permutation of the pairs, nil otherwise (or when a numerator holds a position).
    ///
    /// Why one numerator per orbit decides. Write the bracket as B = Σ_M M(p) C_M(q) with C_M a
    /// sum of fractions in the positions. A permutation σ of the pairs is canonical, so
    /// {f∘σ, g∘σ} = {f, g}∘σ; with f∘σ = f and g∘σ = g, B∘σ = B, and comparing the coefficients of
    /// σ(M) gives C_{σ(M)}(q) = C_M(σ(q)): zero exactly when C_M is. Every orbit of numerators
    /// holds exactly one M whose momentum exponents do not increase along the pairs, and only
    /// those are tested. Invariance under the swap of the first two pairs and the cycle of all
    /// of them (which generate every permutation) is checked term by term, exactly.
    static func symmetricMomenta(_ f: [Term], _ g: [Term], pairs: [(q: Int, p: Int)], poles: Set<Int>,
                                 slots: Slots) throws -> [Int]? {
        let n = pairs.count
        guard n >= 2, pairs.allSatisfy({ poles.contains($0.q) && !poles.contains($0.p) }) else { return nil }
        var cycle = Array(1..<n) + [0], swap = Array(0..<n)
        swap.swapAt(0, 1)
        if n == 2 { cycle = swap }
        for terms in [f, g] {
            var table = Table<Fraction>(capacity: terms.count)
            for t in terms { try table.add(Fraction(numerator: t.numerator, denominator: t.denominator), t.c) }
            for permutation in [swap, cycle] {
                // The variables' images: q_i → q_σ(i), p_i → p_σ(i), the rest fixed.
                var image = Array(0..<Monomial.maxVariables)
                for (i, pair) in pairs.enumerated() {
                    image[pair.q] = pairs[permutation[i]].q
                    image[pair.p] = pairs[permutation[i]].p
                }
                for t in terms {
                    var numerator = Monomial(), denominator = Monomial(), c = t.c
                    for v in 0..<Monomial.maxVariables where t.numerator[v] != 0 { numerator[image[v]] = t.numerator[v] }
                    for (s, pair) in slots.pairs.enumerated() where t.denominator[s] != 0 {
                        let m = t.denominator[s]
                        let (a, b) = (image[pair.hi], pair.lo < 0 ? -1 : image[pair.lo])
                        // v_a − v_b with a below b is −(v_b − v_a).
                        // (−Int.min is not an Int: no shortcut then, the bracket is still tested.)
                        if a < b && m % 2 == 1 {
                            guard c != Int.min else { return nil }
                            c = -c
                        }
                        denominator[try slots.index(max(a, b), min(a, b))] = m
                    }
                    guard table.value(Fraction(numerator: numerator, denominator: denominator)) == c else { return nil }
                }
            }
        }
        return pairs.map(\.p)
    }

    /// Whether the momenta's exponents in m do not increase along the pairs.
    @inline(__always) static func isSorted(_ m: Monomial, _ momenta: [Int]) -> Bool {
        var previous = Int.max
        for v in momenta {
            let e = m[v]
            if e > previous { return false }
            previous = e
        }
        return true
    }

    /// A sum's terms c · M / D as one table of denominators per numerator M.
    struct ByNumerator: Sendable {
        /// M → its position + 1.
        private var index = Table<Monomial>()
        private(set) var numerators: [Monomial] = []
        var tables: [Table<Monomial>] = []

        mutating func position(_ m: Monomial) throws -> Int {
            if let p = index.value(m) { return p - 1 }
            numerators.append(m)
            tables.append(Table())
            try index.add(m, numerators.count)
            return numerators.count - 1
        }

        /// Adds another's terms, taking its tables over where this has none for a numerator.
        mutating func absorb(_ other: inout ByNumerator) throws {
            for k in other.numerators.indices {
                // Both tables taken out of their arrays, so neither is copied to be changed.
                var source = Table<Monomial>(capacity: 0)
                swap(&source, &other.tables[k])
                let j = try position(other.numerators[k])
                var target = Table<Monomial>(capacity: 0)
                swap(&target, &tables[j])
                if source.count > target.count { swap(&source, &target) }
                try source.forEach { d, c in try target.add(d, c) }
                swap(&target, &tables[j])
            }
        }
    }

    /// Below this many terms (products of the two functions' terms, or terms of the sums to
    /// test) the work stays on the calling thread: handing it to a second core costs more
    /// (Calogero–Moser n = 3 took 2.2 ms on two cores against 1.4 ms by the bracket expression).
    static let smallWork = 4096

    /// `body(0)` … `body(workers − 1)`, on all cores, or on the calling thread for one worker.
    static func onCores(_ workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
    }

    /// Runs `body` for 0..<count on all cores (on this thread when the work is `small`), each
    /// worker into its own sums, and returns them merged.
    static func parallel(_ count: Int, small: Bool = false, _ body: @escaping @Sendable (Int, inout ByNumerator) throws -> Void) throws -> ByNumerator {
        let workers = small ? 1 : max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
        let next = Atomic<Int>(0)
        let results = Mutex<[ByNumerator]>([])
        let failure = Mutex<Error?>(nil)
        onCores(workers) { _ in
            var sums = ByNumerator()
            while failure.withLock({ $0 == nil }) {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { break }
                do { try body(i, &sums) } catch { failure.withLock { $0 = FlatFractions.first(error, $0) } }
            }
            results.withLock { $0.append(sums) }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        // Taken out of the lock (not copied), so that every table has one owner and grows in place.
        var parts = results.withLock { r in
            let parts = r
            r = []
            return parts
        }
        var merged = parts.removeLast()
        while var part = parts.popLast() { try merged.absorb(&part) }
        return merged
    }

    /// Whether every sum is zero, the sums shared among the cores (largest first, each worker
    /// taking the next); the first non-zero one stops the others. A non-zero sum is the answer
    /// even when another worker failed; failures otherwise are reported as `first` ranks them.
    static func allZero(_ sums: [Table<Monomial>], _ slots: Slots, _ form: DifferenceFractionForm) throws -> Bool {
        let order = sums.indices.sorted { sums[$0].count > sums[$1].count }
        let next = Atomic<Int>(0), stop = Atomic<Bool>(false), nonzero = Atomic<Bool>(false)
        let failure = Mutex<Error?>(nil)
        // One budget for all workers (the form is not thread-safe), drawn in chunks.
        let budget = SharedBudget(max(0, form.budget))
        defer { form.budget = budget.left.load(ordering: .relaxed) }
        let small = sums.reduce(0) { $0 + $1.count } < FlatFractions.smallWork
        let workers = small ? 1 : max(1, min(order.count, ProcessInfo.processInfo.activeProcessorCount))
        onCores(workers) { _ in
            var allowance = Allowance(shared: budget)
            var binomials = Binomials()
            while !stop.load(ordering: .relaxed) {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= order.count { break }
                do {
                    if try !isZero(sums[order[i]], slots, &allowance, &binomials) {
                        nonzero.store(true, ordering: .relaxed)
                        stop.store(true, ordering: .relaxed)
                    }
                } catch {
                    failure.withLock { $0 = FlatFractions.first(error, $0) }
                    stop.store(true, ordering: .relaxed)
                }
            }
            allowance.returnUnspent()
        }
        if nonzero.load(ordering: .relaxed) { return false }
        if let error = failure.withLock({ $0 }) { throw error }
        return true
    }

    /// Which of two failures to report, whichever came first: a stop request, then a shape
    /// this route does not hold (the general test then runs), then the budget.
    static func first(_ a: Error, _ b: Error?) -> Error {
        guard let b else { return a }
        func rank(_ e: Error) -> Int {
            switch e {
            case is Interrupted: return 0
            case is NotApplicable: return 1
            case is OverBudget: return 2
            default: return 3
            }
        }
        return rank(b) <= rank(a) ? b : a
    }

    /// A worker's part of a shared work budget, taken in chunks so that the shared counter is
    /// touched once per chunk; the total does not depend on the number of workers.
    final class SharedBudget: Sendable {
        let left: Atomic<Int>
        init(_ units: Int) { left = Atomic(units) }
    }

    struct Allowance {
        let shared: SharedBudget
        private var left = 0
        private static let chunk = 1 << 14

        init(shared: SharedBudget) { self.shared = shared }

        @inline(__always) mutating func spend() throws {
            left -= 1
            if left < 0 { try refill() }
        }

        /// Draws a chunk, smaller as the budget runs low (so that one worker does not hold what
        /// another needs), never below zero.
        private mutating func refill() throws {
            var current = shared.left.load(ordering: .relaxed)
            while true {
                guard current > 0 else { throw OverBudget() }
                let grant = min(Allowance.chunk, max(1, current / 8))
                let (exchanged, original) = shared.left.compareExchange(expected: current, desired: current - grant, ordering: .relaxed)
                if exchanged {
                    left = grant - 1
                    return
                }
                current = original
            }
        }

        /// Gives back what was drawn and not spent.
        mutating func returnUnspent() {
            if left > 0 { shared.left.add(left, ordering: .relaxed) }
            left = 0
        }
    }

    /// C(n, k), rows built on demand (one table per worker); an entry past Int is kept as −1
    /// and throws `NotApplicable` only when it is asked for (C(70, 1) is fine, C(70, 35) is not).
    struct Binomials {
        private var rows: [[Int]] = [[1]]
        mutating func callAsFunction(_ n: Int, _ k: Int) throws -> Int {
            if k < 0 || k > n { return 0 }
            while rows.count <= n {
                let last = rows[rows.count - 1]
                var row = [1]
                for i in 1..<last.count {
                    let (s, overflow) = last[i - 1].addingReportingOverflow(last[i])
                    row.append(overflow || last[i - 1] < 0 || last[i] < 0 ? -1 : s)
                }
                row.append(1)
                rows.append(row)
            }
            let c = rows[n][k]
            guard c >= 0 else { throw NotApplicable() }
            return c
        }
    }

    /// The exception that ends a worker whose budget ran out.
    struct OverBudget: Error {}

    /// Σ c_D / D = 0, by eliminating the highest variable of the denominators again and again:
    /// each coefficient A_{j,r} of 1/(x − a_j)^r must vanish, and is a sum of the same shape
    /// without x (there is no polynomial part: the numerators are free of x).
    static func isZero(_ s: Table<Monomial>, _ slots: Slots, _ budget: inout Allowance, _ binomials: inout Binomials) throws -> Bool {
        var pending = [s]
        var groupOf = [Int](repeating: -1, count: (Monomial.maxVariables + 1) << 8)
        var poles: [(lo: Int, m: Int)] = []
        var shifts: [Int] = [], others: [Int] = []
        while let next = pending.popLast() {
            var x = -1
            next.forEach { d, _ in x = max(x, slots.highest(d)) }
            // No denominator left: the terms over 1 were collected, and their sum is the verdict.
            if x < 0 {
                if next.isZero { continue }
                return false
            }
            let range = slots.range[x]
            // Groups: the part free of x (key 0) and A_{j,r} for each (a_j, r) (key
            // (lo_j + 1) · 256 + r), numbered through the scratch array `groupOf`.
            var groups: [Table<Monomial>] = [], keys: [Int] = []
            func group(_ key: Int) -> Int {
                if groupOf[key] >= 0 { return groupOf[key] }
                groups.append(Table<Monomial>())
                keys.append(key)
                groupOf[key] = groups.count - 1
                return groups.count - 1
            }
            defer { for key in keys { groupOf[key] = -1 } }
            try next.forEach { key, c in
                var rest = key
                poles.removeAll(keepingCapacity: true)
                for s in range where rest[s] != 0 {
                    poles.append((slots.pairs[s].lo, rest[s]))
                    rest[s] = 0
                }
                if poles.isEmpty { try groups[group(0)].add(rest, c); return }
                // (Each level of `distribute` sets its shift before it is read.)
                if shifts.count < poles.count { shifts = Array(repeating: 0, count: poles.count) }
                for j in poles.indices {
                    let (lo, mj) = poles[j]
                    others.removeAll(keepingCapacity: true)
                    for k in poles.indices where k != j { others.append(k) }
                    for r in 1...mj {
                        let shift = mj - r
                        let g = group((lo + 1) << 8 | r)
                        // The constant numerator has no Taylor terms of its own: the shift is
                        // spread over the other poles, s = Σ s_k, each with
                        // C(m_k + s_k − 1, s_k) (−1)^{s_k} (a_j − a_k)^{−(m_k + s_k)}.
                        if others.isEmpty {
                            if shift == 0 { try groups[g].add(rest, c) }
                            continue
                        }
                        func distribute(_ k: Int, _ left: Int) throws {
                            // The last other pole takes what is left.
                            if k < others.count - 1 {
                                for sk in 0...left {
                                    shifts[k] = sk
                                    try distribute(k + 1, left - sk)
                                }
                                return
                            }
                            shifts[k] = left
                            try budget.spend()
                            var coefficient = c
                            var d = rest
                            for (i, sk) in zip(others, shifts) {
                                let pole = poles[i], power = pole.m + sk
                                coefficient = try times(coefficient, try binomials(power - 1, sk))
                                if sk % 2 == 1 { coefficient = try times(coefficient, -1) }
                                // a_j − a_k = −(v_k − v_j) when a_j is the lower variable.
                                if lo < pole.lo && power % 2 == 1 { coefficient = try times(coefficient, -1) }
                                let s = try slots.index(max(lo, pole.lo), min(lo, pole.lo))
                                let e = d[s] + power
                                guard e < 255 else { throw NotApplicable() }
                                d[s] = e
                            }
                            try groups[g].add(d, coefficient)
                        }
                        try distribute(0, shift)
                    }
                }
            }
            try Interrupt.check()
            for g in groups where !g.isZero { pending.append(g) }
        }
        return true
    }
}

extension Monomial: FlatFractions.TableKey {
    static let empty: Monomial = { var m = Monomial(); m.w0 = ~0; m.w1 = ~0; m.w2 = ~0; m.w3 = ~0; return m }()

    @inline(__always) static func mix(_ m: Monomial) -> Int {
        var h = m.w0 &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 29) ^ m.w1) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 31) ^ m.w2) &* 0x94D0_49BB_1331_11EB
        h = (h ^ (h >> 29) ^ m.w3) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h ^ (h >> 32))
    }

    @inline(__always) static func same(_ a: Monomial, _ b: Monomial) -> Bool {
        a.w0 == b.w0 && a.w1 == b.w1 && a.w2 == b.w2 && a.w3 == b.w3
    }
}
