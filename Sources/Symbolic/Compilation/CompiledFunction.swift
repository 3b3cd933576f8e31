/// Why an expression cannot be compiled to a real-valued function.
public struct CompilationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// A list of expressions compiled to straight-line code over a register file: every distinct
/// sub-expression is computed once (common subexpressions shared through `Expr`'s hash), the
/// code is a flat array of three-address instructions, and evaluation walks no tree and
/// allocates nothing. Integer powers become multiplications, half-integer powers a square
/// root and multiplications.
public struct CompiledFunction: Sendable {
    enum Operation: UInt8 {
        case add, subtract, multiply, divide, negate, square, reciprocal, sqrt, pow
        case exp, log, sin, cos, tan, sinh, cosh, tanh, abs, atan
    }

    /// Writes register `firstTemporary + index`; operands are register numbers.
    struct Instruction {
        var operation: Operation
        var a: Int32
        var b: Int32
    }

    /// The input variables, in the order the evaluator reads them.
    public let inputs: [String]
    public let outputCount: Int
    let instructions: [Instruction]
    /// Registers: inputs, then constants, then one per instruction.
    let constants: [Double]
    let outputRegisters: [Int32]
    var firstTemporary: Int { inputs.count + constants.count }
    public var registerCount: Int { firstTemporary + instructions.count }
    /// Instructions executed per evaluation (a cost measure).
    public var instructionCount: Int { instructions.count }

    /// Compiles `outputs` as functions of `inputs`. Symbols not among the inputs must be given
    /// in `constants` (parameters); anything else is an error naming the symbol.
    public init(_ outputs: [Expr], inputs: [String], constants bindings: [String: Double] = [:]) throws {
        var compiler = Compiler(inputs: inputs, bindings: bindings)
        let registers = try outputs.map { try compiler.register($0) }
        self.inputs = inputs
        self.outputCount = outputs.count
        self.constants = compiler.constants
        // Constants were numbered after the inputs in the order met; instructions were numbered
        // from a provisional base and are shifted to follow the constants.
        let base = Int32(inputs.count + compiler.constants.count)
        func fix(_ r: Int32) -> Int32 { r >= Compiler.temporaryBase ? r - Compiler.temporaryBase + base : r }
        self.instructions = compiler.instructions.map { Instruction(operation: $0.operation, a: fix($0.a), b: fix($0.b)) }
        self.outputRegisters = registers.map(fix)
    }

    /// Evaluates into `output` using `registers` (at least `registerCount` doubles, constants
    /// loaded by `prepare`).
    @inline(__always)
    public func evaluate(_ input: UnsafePointer<Double>, into output: UnsafeMutablePointer<Double>,
                         registers r: UnsafeMutablePointer<Double>) {
        for i in 0..<inputs.count { r[i] = input[i] }
        let base = firstTemporary
        instructions.withUnsafeBufferPointer { code in
            var dst = base
            for ins in code {
                let a = Int(ins.a), b = Int(ins.b)
                switch ins.operation {
                case .add: r[dst] = r[a] + r[b]
                case .subtract: r[dst] = r[a] - r[b]
                case .multiply: r[dst] = r[a] * r[b]
                case .divide: r[dst] = r[a] / r[b]
                case .negate: r[dst] = -r[a]
                case .square: r[dst] = r[a] * r[a]
                case .reciprocal: r[dst] = 1 / r[a]
                case .sqrt: r[dst] = Foundation_sqrt(r[a])
                case .pow: r[dst] = Foundation_pow(r[a], r[b])
                case .exp: r[dst] = Foundation_exp(r[a])
                case .log: r[dst] = Foundation_log(r[a])
                case .sin: r[dst] = Foundation_sin(r[a])
                case .cos: r[dst] = Foundation_cos(r[a])
                case .tan: r[dst] = Foundation_tan(r[a])
                case .atan: r[dst] = Foundation_atan(r[a])
                case .sinh: r[dst] = Foundation_sinh(r[a])
                case .cosh: r[dst] = Foundation_cosh(r[a])
                case .tanh: r[dst] = Foundation_tanh(r[a])
                case .abs: r[dst] = Swift.abs(r[a])
                }
                dst += 1
            }
        }
        for (k, reg) in outputRegisters.enumerated() { output[k] = r[Int(reg)] }
    }

    /// Loads the constants into a register file (once; evaluation never overwrites them).
    public func prepare(_ registers: UnsafeMutablePointer<Double>) {
        for (k, c) in constants.enumerated() { registers[inputs.count + k] = c }
    }

    /// Convenience evaluation (allocates; for tests and the REPL, not for hot loops).
    public func callAsFunction(_ input: [Double]) -> [Double] {
        precondition(input.count == inputs.count, "expected \(inputs.count) inputs")
        let registers = UnsafeMutablePointer<Double>.allocate(capacity: max(1, registerCount))
        defer { registers.deallocate() }
        prepare(registers)
        var out = [Double](repeating: 0, count: outputCount)
        input.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in evaluate(x.baseAddress!, into: y.baseAddress!, registers: registers) }
        }
        return out
    }

    // MARK: Compiler

    struct Compiler {
        static let temporaryBase: Int32 = 1 << 30
        let inputIndex: [String: Int32]
        let bindings: [String: Double]
        var constants: [Double] = []
        var constantIndex: [Double: Int32] = [:]
        var instructions: [Instruction] = []
        var memo: [Expr: Int32] = [:]
        /// 1/d for each denominator register d, shared: dividing several numerators by one
        /// denominator costs one division and multiplications.
        var reciprocals: [Int32: Int32] = [:]

        init(inputs: [String], bindings: [String: Double]) {
            inputIndex = Dictionary(uniqueKeysWithValues: inputs.enumerated().map { ($1, Int32($0)) })
            self.bindings = bindings
        }

        mutating func constant(_ c: Double) -> Int32 {
            if let r = constantIndex[c] { return r }
            constants.append(c)
            let r = Int32(inputIndex.count + constants.count - 1)
            constantIndex[c] = r
            return r
        }

        /// The constant a register holds, if it is a constant register.
        func constantValue(_ r: Int32) -> Double? {
            let index = Int(r) - inputIndex.count
            return r < Compiler.temporaryBase && index >= 0 && index < constants.count ? constants[index] : nil
        }

        mutating func emit(_ op: Operation, _ a: Int32, _ b: Int32 = 0) -> Int32 {
            // x * 1 and 1 * x (a parameter bound to 1) cost nothing.
            if op == .multiply, constantValue(a) == 1 { return b }
            if op == .multiply, constantValue(b) == 1 { return a }
            instructions.append(Instruction(operation: op, a: a, b: b))
            return Compiler.temporaryBase + Int32(instructions.count - 1)
        }

        mutating func register(_ e: Expr) throws -> Int32 {
            if let r = memo[e] { return r }
            let r: Int32
            switch e.kind {
            case .number(let n): r = constant(n.doubleValue)
            case .pi: r = constant(Double.pi)
            case .symbol(let s):
                if let i = inputIndex[s] { r = i } else if let v = bindings[s] { r = constant(v) } else {
                    throw CompilationError(message: "'\(s)' has no value: it is neither a coordinate nor a parameter with a value")
                }
            case .imaginaryUnit: throw CompilationError(message: "the expression is complex (it contains I); only real expressions compile")
            case .undefined: throw CompilationError(message: "the expression is undefined (a division by zero)")
            case .sum(let ts):
                var acc: Int32? = nil
                for t in ts {
                    if let a = acc, t.hasLeadingMinus {
                        acc = emit(.subtract, a, try register(-t))
                    } else {
                        let x = try register(t)
                        acc = acc.map { emit(.add, $0, x) } ?? x
                    }
                }
                r = acc!
            case .product(let c, let fs):
                // Numerator factors multiply; negative integer powers divide once at the end.
                var numerator: Int32? = nil, denominator: Int32? = nil
                for f in fs {
                    if case .power(let b, let x) = f.kind, let k = x.numberValue, k.isNegative {
                        let d = try register(.power(b, .number(-k)))
                        denominator = denominator.map { emit(.multiply, $0, d) } ?? d
                    } else {
                        let n = try register(f)
                        numerator = numerator.map { emit(.multiply, $0, n) } ?? n
                    }
                }
                let magnitude = c.magnitude
                if magnitude != .one { numerator = numerator.map { emit(.multiply, constant(magnitude.doubleValue), $0) } ?? constant(magnitude.doubleValue) }
                var value: Int32
                if let d = denominator {
                    let inverse = reciprocal(d)
                    value = numerator.map { emit(.multiply, $0, inverse) } ?? inverse
                } else {
                    value = numerator!
                }
                if c.isNegative { value = emit(.negate, value) }
                r = value
            case .power(let b, let x):
                r = try power(b, x)
            case .function(let f, let a):
                let x = try register(a)
                let op: Operation
                switch f {
                case .exp: op = .exp
                case .log: op = .log
                case .sin: op = .sin
                case .cos: op = .cos
                case .tan: op = .tan
                case .atan: op = .atan
                case .sinh: op = .sinh
                case .cosh: op = .cosh
                case .tanh: op = .tanh
                case .abs: op = .abs
                }
                r = emit(op, x)
            }
            memo[e] = r
            return r
        }

        mutating func reciprocal(_ d: Int32) -> Int32 {
            if let r = reciprocals[d] { return r }
            let r = emit(.reciprocal, d)
            reciprocals[d] = r
            return r
        }

        mutating func power(_ b: Expr, _ x: Expr) throws -> Int32 {
            if let q = x.rationalValue, let n = q.numerator.asInt, let d = q.denominator.asInt, d <= 2, abs(n) <= 64 {
                // b^(n/d), d ∈ {1, 2}: sqrt once, then binary powering, reciprocal if negative.
                var base = try register(b)
                if d == 2 { base = emit(.sqrt, base) }
                var k = abs(n)
                var result: Int32? = nil
                var square = base
                while k > 0 {
                    if k & 1 == 1 { result = result.map { emit(.multiply, $0, square) } ?? square }
                    k >>= 1
                    if k > 0 { square = emit(.square, square) }
                }
                return n < 0 ? reciprocal(result!) : result!
            }
            return emit(.pow, try register(b), try register(x))
        }
    }
}

/// A compiled function with its own register file, constants loaded once: the form to call
/// in hot loops. Not thread-safe (one evaluator per thread).
public final class CompiledEvaluator {
    public let function: CompiledFunction
    private let registers: UnsafeMutablePointer<Double>

    public init(_ function: CompiledFunction) {
        self.function = function
        registers = .allocate(capacity: max(1, function.registerCount))
        function.prepare(registers)
    }

    deinit { registers.deallocate() }

    @inline(__always)
    public func evaluate(_ input: UnsafePointer<Double>, into output: UnsafeMutablePointer<Double>) {
        function.evaluate(input, into: output, registers: registers)
    }
}
