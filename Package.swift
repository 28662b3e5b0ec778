// swift-tools-version: 6.2
// 6.2, not lower: the C target compiles with -fopenmp (an "unsafe" flag), and only manifests of
// tools-version 6.2+ may carry such flags and still be consumed by version (`from:`).
import PackageDescription

// MARK: - Shared settings

/// The C kernels: OpenMP-parallel (`-fopenmp`, linked against Debian's libomp5) and BLAS loaded at
/// run time with dlopen, so nothing BLAS-specific is linked (see CKernels/fk_blas.c).
let kernelCSettings: [CSetting] = [
    .unsafeFlags(["-fopenmp"]),
    // Build-time choice of the default BLAS backend (run time: FLOWGUIDE_BLAS or fk_blas_load).
    .define("FK_DEFAULT_BLAS", to: "\"openblas\"", .when(traits: ["OpenBLAS"])),
    .define("FK_DEFAULT_BLAS", to: "\"blis\"", .when(traits: ["BLIS"])),
    .define("FK_DEFAULT_BLAS", to: "\"reference\"", .when(traits: ["ReferenceBLAS"])),
]

let kernelLinkerSettings: [LinkerSetting] = [
    .linkedLibrary("omp5", .when(platforms: [.linux])),
    .linkedLibrary("dl", .when(platforms: [.linux])),
    .linkedLibrary("m", .when(platforms: [.linux])),
]

let package = Package(
    name: "FlowGuide",
    products: [
        .library(name: "FlowGuide", targets: ["FlowGuide"]),
        .library(name: "CFlowKernels", targets: ["CFlowKernels"]),
        .executable(name: "flowguide", targets: ["flowguide"]),
        .executable(name: "flowguide-bench", targets: ["flowguide-bench"]),
    ],
    traits: [
        // Default backend = the system's libblas.so.3 (Debian's alternatives; OpenBLAS once
        // libopenblas-dev is installed). These traits pin a specific one instead.
        .trait(name: "OpenBLAS", description: "Load libopenblas.so.0 by default."),
        .trait(name: "BLIS", description: "Load libblis.so.4 by default."),
        .trait(name: "ReferenceBLAS", description: "Load the netlib reference BLAS by default."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - C kernels
        .target(
            name: "CFlowKernels",
            path: "CKernels",
            exclude: ["README.md"],
            cSettings: kernelCSettings,
            linkerSettings: kernelLinkerSettings
        ),

        // MARK: - Swift API
        .target(
            name: "FlowGuide",
            dependencies: ["CFlowKernels"]
        ),

        // MARK: - Command-line tool
        .executableTarget(
            name: "flowguide",
            dependencies: [
                "FlowGuide",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Documentation examples
        // The Swift examples of README.md, docs/swift-api.md and the guides (docs/guide-*.md,
        // docs/backends-and-threads.md), compiled and run by
        // scripts/check-doc-examples.sh (which also checks the docs quote them verbatim). Not products.
        .executableTarget(
            name: "flowguide-example",
            dependencies: ["FlowGuide"],
            path: "Examples/SwiftQuickStart"
        ),
        .executableTarget(
            name: "flowguide-readme-example",
            dependencies: ["FlowGuide"],
            path: "Examples/ReadmeExample"
        ),
        .executableTarget(
            name: "flowguide-guides-example",
            dependencies: ["FlowGuide"],
            path: "Examples/Guides"
        ),

        // MARK: - Benchmarks
        // Reference loops for the benchmark (in-place axpy, STREAM triad, FMA peak), built like
        // the kernels (OpenMP, same runtime) so they compare like for like. Not a product.
        .target(
            name: "CFlowBench",
            path: "Benchmarks/CBenchSupport",
            cSettings: [.unsafeFlags(["-fopenmp"])],
            linkerSettings: [.linkedLibrary("omp5", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "flowguide-bench",
            dependencies: ["FlowGuide", "CFlowKernels", "CFlowBench"],
            path: "Benchmarks/KernelBench"
        ),

        // MARK: - Tests
        .testTarget(
            name: "FlowGuideTests",
            dependencies: ["FlowGuide", "CFlowKernels"]
        ),
    ]
)
