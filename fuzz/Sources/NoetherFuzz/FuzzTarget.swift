import REPL
#if canImport(Glibc)
import Glibc
#endif

/// The longest input run, in bytes. Longer inputs are rejected (never added to the corpus), so
/// one input's cost stays bounded; 16 KiB still holds the hostile shapes of issue P5 at sizes
/// that exercise the depth and length limits (thousands of terms, hundreds of nested levels).
/// `NOETHER_FUZZ_MAX_BYTES` raises it, to replay a full-size reproducer (scripts/fuzz.sh --replay).
let maximumInputBytes: Int = {
    if let text = getenv("NOETHER_FUZZ_MAX_BYTES"), let bytes = Int(String(cString: text)), bytes > 0 { return bytes }
    return 16 * 1024
}()

/// Words whose statements touch the file system (`file:` is poincare's picture), start gnuplot
/// or train networks. An input naming any of them is skipped: the fuzzer must not write files,
/// and one training run costs more than thousands of parses.
let skippedWords: Set<String> = ["save", "read", "plot", "dataset", "train", "resume", "file"]

/// Simulations use the interpreted vector field: compiling native code starts a C compiler and
/// writes a temporary library for every input, which costs a second and leaves files behind.
let interpretedFieldsOnly: Void = { setenv("NOETHER_NATIVE", "0", 1); return () }()

/// The identifier-like words of `text` (letters, digits, `_`), as the lexer would see them.
func words(_ text: String) -> Set<String> {
    var found = Set<String>()
    var current = ""
    for scalar in text.unicodeScalars {
        if scalar == "_" || (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))) {
            current.unicodeScalars.append(scalar)
        } else if !current.isEmpty {
            found.insert(current); current = ""
        }
    }
    if !current.isEmpty { found.insert(current) }
    return found
}

/// libFuzzer's entry: runs one input, as UTF-8 text (invalid bytes become U+FFFD, NUL stays NUL),
/// through a fresh interpreter, statement by statement, exactly as `noether -e` would.
/// Returns -1 for inputs that are skipped, so libFuzzer keeps them out of the corpus.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = interpretedFieldsOnly
    guard size <= maximumInputBytes else { return -1 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard words(text).isDisjoint(with: skippedWords) else { return -1 }
    let interpreter = Interpreter()
    for outcome in interpreter.execute(text) {
        // Printing every value walks the printer too; the text itself is not checked.
        _ = outcome.lines.count
    }
    return 0
}
