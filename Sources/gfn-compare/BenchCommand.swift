import ArgumentParser
import Checks
import Foundation
import GFNCore

/// `gfn-compare bench`: parses its flags, runs `Bench` and writes the files.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sampler, network and enumeration speed (release builds only give meaningful numbers).",
        discussion: "Writes a Markdown table to stdout and, with --out DIR, DIR/bench.md and DIR/bench.json.")

    @Flag(help: "Short measurements (for CI smoke runs).")
    var quick = false

    @Option(help: "GSL generator for both the Swift and the C loop.")
    var rng: RandomAlgorithm = .taus2

    @Option(help: "Folder for bench.md and bench.json.")
    var out: String?

    @Option(help: "Python of the peer environment (../shared/peers/setup.sh prints it): also measure torchgfn and gfnx on the same configurations in this run.")
    var peers: String?

    @Option(name: .customLong("peer-scripts"), help: "Folder of the peer scripts (gfn_ising_tb.py, gfnx_ising_tb.py).")
    var peerScripts: String = "../shared/peers"

    @Option(name: .customLong("peer-seconds"), parsing: .unconditional, help: "Training seconds of each peer measurement (default: 30, 3 with --quick).", transform: finiteDouble)
    var peerSeconds: Double?

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    func run() throws {
        if let out { try AtomicOutput.checkWritable(directory: URL(fileURLWithPath: out), replace: true) }
        if let s = peerSeconds, !(s > 0 && s <= 3600) { throw GFNError.invalidInput("--peer-seconds must be between 0 and 3600 (got \(s))") }
        if peerSeconds != nil && peers == nil { throw GFNError.invalidInput("--peer-seconds needs --peers PYTHON") }
        let bench = Bench(quick: quick, rng: rng,
                          peers: peers.map { ($0, URL(fileURLWithPath: peerScripts), peerSeconds ?? (quick ? 3 : 30)) },
                          defaultRun: try RunCommand.parse(["--energy", "ising"]).settings())
        let (table, result) = try bench.run(progress: ProgressReporter(enabled: !quiet))
        print(table, terminator: "")
        if let out {
            let dir = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try AtomicOutput.write(try result.jsonData(), to: dir.appendingPathComponent("bench.json"))
            try AtomicOutput.write(Data(("# gfn-compare bench\n\n" + table).utf8), to: dir.appendingPathComponent("bench.md"))
        }
    }
}
