// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way (each edge is an import):
//   GFNCore → Settings (plain Codable run settings) → everything below;
//   Energies → Exact, MCMC;  NeuralNet → GFlowNets (← Energies);  MCMC, GFlowNets → NeuralMCMC;
//   GFNCore → Metrics → Reporting (metrics and reports know no sampler);
//   all of them → Comparison (the pipeline: one run, exact reference → samplers → metrics → record)
//   → Checks (regression check, verdict calibration, sweeps, merge and study, bench) → gfn-compare
//   (the CLI: argument parsing only).

// Generic hot code (the MLP over Float, samplers over concrete energies) lives in one module and
// is used from another; cross-module optimisation lets the optimiser specialise it there instead
// of running it through generic witness tables (measured: 15× slower GFlowNet training without it).
let optimize: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "gfn-compare",
    products: [
        .executable(name: "gfn-compare", targets: ["gfn-compare"]),
        .library(name: "GFNCompareKit", targets: ["GFNCompareKit", "Checks", "GFNCore", "Settings", "Energies", "Exact", "MCMC", "NeuralNet", "GFlowNets", "NeuralMCMC", "Metrics", "Reporting", "Comparison"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML sweep specs (beside JSON).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // `swift package generate-documentation` (DocC) for the library.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // GSL + CBLAS (OpenBLAS) headers; private, no API of its own.
        .systemLibrary(
            name: "CGSL",
            providers: [.apt(["libgsl-dev", "libopenblas-dev"])]
        ),
        // A minimal C Metropolis loop: the speed reference the Swift sampler is measured against.
        .target(name: "CReference", dependencies: ["CGSL"], cSettings: [.unsafeFlags(["-O3"])]),
        // Linux system calls Swift cannot reach directly (renameat2, prctl), and the spinning
        // helper threads of WorkTeam (pthreads, C11 atomics, futex).
        .target(name: "CSystem"),
        .target(name: "GFNCore", dependencies: ["CGSL", "CSystem"], swiftSettings: optimize),
        // Plain Codable values that describe a run (GFlowNet settings, chain schedule, kernel): one
        // type each, shared by the command line, the samplers, the pipeline and the run record.
        .target(name: "Settings", dependencies: ["GFNCore"], swiftSettings: optimize),
        .target(name: "Energies", dependencies: ["GFNCore"], swiftSettings: optimize),
        .target(name: "Exact", dependencies: ["Energies", "GFNCore", "CGSL"], swiftSettings: optimize),
        .target(name: "MCMC", dependencies: ["Energies", "GFNCore", "Settings", "CKernels"], swiftSettings: optimize),
        // A small MLP over CBLAS with backprop and Adam; knows nothing of GFlowNets.
        // Elementwise network kernels in C, where the loop vectorizer makes them branch-free SIMD.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "NeuralNet", dependencies: ["GFNCore", "Settings", "CGSL", "CKernels"], swiftSettings: optimize),
        // Environment, policy, objectives, trainer, sampler and exact P_T.
        .target(name: "GFlowNets", dependencies: ["Energies", "NeuralNet", "GFNCore", "Settings"], swiftSettings: optimize),
        // The trained GFlowNet inside Metropolis-Hastings: independence and mixed chains.
        .target(name: "NeuralMCMC", dependencies: ["Energies", "GFNCore", "Settings", "MCMC", "GFlowNets"], swiftSettings: optimize),
        .target(name: "Metrics", dependencies: ["GFNCore", "CGSL"], swiftSettings: optimize),
        .target(name: "Reporting", dependencies: ["Metrics", "Settings"], swiftSettings: optimize),
        // The pipeline: energy → exact reference → samplers → metrics → record. No argument parsing.
        .target(name: "Comparison", dependencies: ["GFNCore", "Settings", "Energies", "Exact", "MCMC", "GFlowNets", "NeuralMCMC", "NeuralNet", "Metrics", "Reporting"],
                swiftSettings: optimize),
        // Checks built on the pipeline: the regression check against a baseline, the verdict
        // rules' calibration, sweeps with their merge and the study, and the speed bench.
        .target(name: "Checks", dependencies: ["Comparison", "GFNCore", "Settings", "Energies", "Exact", "MCMC", "GFlowNets", "NeuralMCMC", "NeuralNet", "Metrics", "Reporting",
                                            "CReference", "CGSL", .product(name: "Yams", package: "Yams")], swiftSettings: optimize),
        // The library product's one module: re-exports every module above (`import GFNCompareKit`),
        // and holds the DocC catalog.
        .target(name: "GFNCompareKit", dependencies: ["Checks", "Comparison", "GFNCore", "Settings", "Energies", "Exact", "MCMC", "NeuralNet", "GFlowNets", "NeuralMCMC", "Metrics", "Reporting"]),
        .executableTarget(
            name: "gfn-compare",
            dependencies: [
                "Checks", "Comparison", "GFNCore", "Settings", "Energies", "Exact", "Metrics", "Reporting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Every test target names each module it imports: a module reached only through another
        // target's dependencies may not be built yet when a clean parallel build compiles the test.
        .target(name: "TestSupport", dependencies: ["GFNCore", "Metrics", "CGSL"], path: "Tests/TestSupport"),
        .testTarget(name: "GFNCoreTests", dependencies: ["GFNCore", "CSystem", "TestSupport"]),
        .testTarget(name: "EnergiesTests", dependencies: ["Energies", "Exact", "GFNCore", "TestSupport"]),
        .testTarget(name: "ExactTests", dependencies: ["Exact", "Energies", "GFNCore", "TestSupport"]),
        .testTarget(name: "MCMCTests", dependencies: ["MCMC", "Exact", "Energies", "Metrics", "GFNCore", "TestSupport", "Settings"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "GFNCore", "CGSL", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "GFNCore", "TestSupport", "Settings"]),
        .testTarget(name: "GFlowNetsTests", dependencies: ["GFlowNets", "NeuralNet", "Energies", "Exact", "MCMC", "Metrics", "GFNCore", "TestSupport", "Settings"]),
        .testTarget(name: "NeuralMCMCTests", dependencies: ["NeuralMCMC", "GFlowNets", "NeuralNet", "Energies", "Exact", "MCMC", "Metrics", "GFNCore", "TestSupport", "Settings"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Metrics", "TestSupport"]),
        .testTarget(name: "ComparisonTests", dependencies: ["GFNCompareKit", "Checks", "Comparison", "Reporting", "GFlowNets", "Energies", "Exact", "MCMC", "Metrics", "GFNCore", "TestSupport", "Settings"],
                    exclude: ["FuzzCorpus"]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks", "Comparison", "Reporting", "Settings", "GFNCore", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["gfn-compare", "Reporting", "NeuralNet", "TestSupport"]),
    ]
)
