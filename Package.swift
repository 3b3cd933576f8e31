// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Noether",
    products: [
        .executable(name: "noether", targets: ["noether"]),
        .library(name: "Symbolic", targets: ["Symbolic"]),
        // The query language as a library: the fuzz package (fuzz/) drives its interpreter.
        .library(name: "REPL", targets: ["REPL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
    ],
    targets: [
        // GSL: no pkgConfig on purpose — with it, -lgslcblas precedes -lopenblas and
        // cblas_dgemm binds to GSL's reference BLAS (DESIGN.md, build facts).
        .systemLibrary(name: "CGSL", path: "Sources/CGSL",
                       providers: [.apt(["libgsl-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPC", path: "Sources/CMPC",
                       providers: [.apt(["libmpc-dev"])]),
        .systemLibrary(name: "CEditLine", path: "Sources/CEditLine", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        // Learn's elementwise kernels: vectorised clones chosen at load time, identical bits on
        // every machine (no contraction: the only fused multiply-adds are explicit fma calls).
        // Optimised in debug builds too, like Learn.
        .target(name: "CKernels", path: "Sources/CKernels",
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])],
                linkerSettings: [.linkedLibrary("m")]),
        .target(name: "Symbolic", dependencies: [
            "CMPC",
            .product(name: "BigInt", package: "BigInt"),
            .product(name: "ComplexModule", package: "swift-numerics"),
            .product(name: "RealModule", package: "swift-numerics"),
        ], swiftSettings: [
            // Measured: dynamic exclusivity checks cost ~4% of the zero-test benchmark.
            .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
        ]),
        .target(name: "Dynamics", dependencies: ["Symbolic", "CGSL", "CKernels"],
                swiftSettings: [.swiftLanguageMode(.v5),
                                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // Optimised in debug builds too: the tests and notebooks train networks, and unoptimised
        // elementwise loops made the hnn notebook 3x slower.
        .target(name: "Learn", dependencies: ["Dynamics", "COpenBLAS", "CKernels"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
                                .unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "Fit", dependencies: ["Symbolic", "CGSL", "COpenBLAS"],
                swiftSettings: [.swiftLanguageMode(.v5),
                                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
                                .unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "REPL", dependencies: ["Symbolic", "Dynamics", "Learn", "Fit", "CEditLine"]),
        // `noether bench`: the hot paths' benchmarks, kept out of the REPL's public API.
        .target(name: "Benchmarks", dependencies: ["Symbolic", "Dynamics", "Learn", "Fit"]),
        .executableTarget(name: "noether", dependencies: [
            "REPL",
            "Learn",
            "Benchmarks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "SymbolicTests", dependencies: ["Symbolic", .product(name: "ComplexModule", package: "swift-numerics")]),
        .testTarget(name: "DynamicsTests", dependencies: ["Dynamics"]),
        .testTarget(name: "REPLTests", dependencies: ["REPL"]),
        .testTarget(name: "NumericsTests", dependencies: ["Fit", "Learn", "Symbolic"]),
        // Resources: checkpoints of format 2 written by an earlier build (their README says how).
        .testTarget(name: "LearnTests", dependencies: ["Learn", "Symbolic", "Dynamics", "CKernels"], resources: [.copy("Resources")]),
        .testTarget(name: "FitTests", dependencies: ["Fit", "Symbolic", "Dynamics"]),
    ]
)
