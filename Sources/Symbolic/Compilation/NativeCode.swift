import Foundation

/// A C function `void f(const double *x, double *out)` compiled at run time.
public typealias NativeFunction = @convention(c) (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void

/// Why native compilation was not possible (the caller falls back to the interpreter).
public struct NativeCompilationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

extension CompiledFunction {
    /// The program as C: one `const double` per instruction, in the interpreter's order and
    /// with the same operations, constants as exact hexadecimal literals. Compiled with
    /// `-ffp-contract=off` the results are bit-identical to the interpreter's.
    public func cSource(name: String) -> String {
        var lines = ["void \(name)(const double *restrict x, double *restrict out) {"]
        func operand(_ r: Int32) -> String {
            let r = Int(r)
            if r < inputs.count { return "x[\(r)]" }
            if r < firstTemporary { return hex(constants[r - inputs.count]) }
            return "t\(r - firstTemporary)"
        }
        for (k, ins) in instructions.enumerated() {
            let a = operand(ins.a), b = operand(ins.b)
            let value: String
            switch ins.operation {
            case .add: value = "\(a) + \(b)"
            case .subtract: value = "\(a) - \(b)"
            case .multiply: value = "\(a) * \(b)"
            case .divide: value = "\(a) / \(b)"
            case .negate: value = "-\(a)"
            case .square: value = "\(a) * \(a)"
            case .reciprocal: value = "1.0 / \(a)"
            case .sqrt: value = "sqrt(\(a))"
            case .pow: value = "pow(\(a), \(b))"
            case .exp, .log, .sin, .cos, .tan, .sinh, .cosh, .tanh, .atan: value = "\(ins.operation)(\(a))"
            case .abs: value = "fabs(\(a))"
            }
            lines.append("  const double t\(k) = \(value);")
        }
        for (k, r) in outputRegisters.enumerated() { lines.append("  out[\(k)] = \(operand(r));") }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    private func hex(_ c: Double) -> String {
        if c.isNaN { return "(0.0/0.0)" }
        if c.isInfinite { return c > 0 ? "(1.0/0.0)" : "(-1.0/0.0)" }
        return "(" + String(format: "%a", c) + ")"
    }
}

/// A shared library built from compiled functions by the system C compiler (the clang that
/// ships with the Swift toolchain, or `$CC`), loaded with dlopen. The library stays loaded for
/// the life of the process.
public final class NativeLibrary: @unchecked Sendable {
    public let functions: [NativeFunction]
    private let handle: UnsafeMutableRawPointer

    /// Extra C code appended to the library, with the symbols it exports.
    public struct Kernel {
        public var source: String
        public var symbols: [String]
        public init(source: String, symbols: [String]) { self.source = source; self.symbols = symbols }
    }

    /// Raw addresses of the kernels' symbols, in the order given.
    public private(set) var kernelSymbols: [UnsafeMutableRawPointer] = []

    /// Compiles `programs` into one library; `functions[i]` evaluates `programs[i]` (exported
    /// as `noether_f<i>`, also callable from kernels), followed by the kernels' code.
    public init(_ programs: [CompiledFunction], kernels: [Kernel] = []) throws {
        guard let compiler = NativeLibrary.compiler else {
            throw NativeCompilationError(message: "no C compiler found (set CC, or put clang on PATH)")
        }
        let names = programs.indices.map { "noether_f\($0)" }
        let source = "#include <math.h>\n" + zip(programs, names).map { $0.cSource(name: $1) }.joined(separator: "\n\n") + "\n"
            + kernels.map(\.source).joined(separator: "\n") + "\n"
        // A fresh folder per library, removed with everything in it when this returns (the
        // loaded library stays mapped), so no run leaves anything in the temporary directory.
        let directory = try NativeLibrary.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stem = "lib\(NativeLibrary.counter.next())"
        let sourceURL = directory.appendingPathComponent(stem + ".c"), libraryURL = directory.appendingPathComponent(stem + ".so")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-O2", "-fno-slp-vectorize", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared", "-o", libraryURL.path, sourceURL.path, "-lm"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NativeCompilationError(message: "\(compiler) failed: \(String(decoding: message.prefix(400), as: UTF8.self))")
        }
        guard let handle = dlopen(libraryURL.path, RTLD_NOW | RTLD_LOCAL) else {
            throw NativeCompilationError(message: "dlopen failed: \(String(cString: dlerror()))")
        }
        self.handle = handle
        functions = try names.map { name in
            guard let symbol = dlsym(handle, name) else { throw NativeCompilationError(message: "symbol \(name) missing") }
            return unsafeBitCast(symbol, to: NativeFunction.self)
        }
        kernelSymbols = try kernels.flatMap(\.symbols).map { name in
            guard let symbol = dlsym(handle, name) else { throw NativeCompilationError(message: "symbol \(name) missing") }
            return symbol
        }
    }

    /// A new private folder `noether-native-PID-XXXXXX` (mkdtemp: mode 0700, a name no one else has).
    static func temporaryFolder() throws -> URL {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("noether-native-\(getpid())-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let made = bytes.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw NativeCompilationError(message: "cannot create a folder in the temporary directory: \(String(cString: strerror(errno)))")
        }
        return URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }

    /// `$CC`, else clang beside the running Swift toolchain or on PATH, else cc.
    static let compiler: String? = {
        let environment = ProcessInfo.processInfo.environment
        if environment["NOETHER_NATIVE"] == "0" { return nil }
        var candidates: [String] = []
        if let cc = environment["CC"] { candidates.append(cc) }
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        candidates += path.map { $0 + "/clang" } + ["/opt/swift/usr/bin/clang", "/usr/bin/clang"] + path.map { $0 + "/cc" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
    static let counter = Counter()
}
