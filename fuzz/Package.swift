// swift-tools-version:6.0
// A libFuzzer target over Noether's parser and evaluator, kept out of the main package so that
// `swift build` there never needs the sanitizer runtimes. Build and run it with scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "NoetherFuzz",
    dependencies: [
        .package(name: "Noether", path: ".."),
    ],
    targets: [
        .target(name: "CFuzzerDriver", path: "Sources/CFuzzerDriver"),
        .executableTarget(name: "NoetherFuzz", dependencies: [
            "CFuzzerDriver",
            .product(name: "REPL", package: "Noether"),
        ], path: "Sources/NoetherFuzz"),
    ]
)
