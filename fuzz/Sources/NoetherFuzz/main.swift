import CFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

// Our own main hands the command line to libFuzzer's driver. SwiftPM renames an executable's
// entry point (`--defsym main=NoetherFuzz_main`) unless it knows the fuzzer sanitizer is on, which
// it does not when the sanitizers come in through -Xswiftc (see scripts/fuzz.sh); a program
// without a main of its own would then link and silently do nothing.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    guard let data else { return 0 }
    return fuzzOneInput(data, size)
})
