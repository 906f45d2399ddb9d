import ArgumentParser
import Checks
import Energies
import Foundation
import GFNCore
import Metrics
import Settings

/// `gfn-compare verdict-rates`: the measured false-call rates of the report's decision rule.
struct VerdictRatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verdict-rates",
        abstract: "Measure how often the report's decision rule makes a false call between correct samplers.",
        discussion: """
        Per seed, on a small enumerable Ising model: MH (4 chains, thinned as in a run) against \
        exact draws, and exact draws against exact draws, each judged at an equal number of draws. Every sampler \
        is correct, so every "better", "worse" or "measurably off" is a false call.
        """)

    @Option(help: "Seeds (replicates) to run.") var seeds: Int = 200
    @Option(help: "The first seed.") var firstSeed: UInt64 = 1
    @Option(help: "Lattice RxC (periodic).") var lattice: String = "3x3"
    @Option(help: "Inverse temperature β.") var beta: Double = 0.3
    @Option(help: "MH samples per chain (4 chains).") var samplesPerChain: Int = 5_000
    @Flag(help: "Print the rates as JSON.") var json = false

    func validate() throws {
        guard (1...100_000).contains(seeds) else { throw ValidationError("--seeds must be between 1 and 100000 (got \(seeds))") }
        guard beta.isFinite, beta >= 0, beta <= 10 else { throw ValidationError("--beta must be a finite number in [0, 10] (got \(beta))") }
        guard (100...1_000_000).contains(samplesPerChain) else { throw ValidationError("--samples-per-chain must be between 100 and 1000000 (got \(samplesPerChain))") }
    }

    func run() throws {
        let parts = lattice.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ (2...4).contains($0) }) else {
            throw GFNError.invalidInput("--lattice must be RxC with 2 ≤ R, C ≤ 4 (got \(lattice))")
        }
        let progress = ProgressReporter(enabled: true)
        progress.begin("verdict rates (\(seeds) seeds)")
        let rates = try VerdictCalibration.measure(lattice: try SquareLattice(rows: parts[0], cols: parts[1], boundary: .periodic), beta: beta,
                                                   schedule: ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: samplesPerChain, thinSweeps: 1),
                                                   seeds: Array(firstSeed..<(firstSeed + UInt64(seeds)))) { progress.update(Double($0) / Double(seeds)) }
        progress.end("done")
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try enc.encode(rates), as: UTF8.self))
            return
        }
        func rate(_ k: Int, _ n: Int) -> String { n > 0 ? String(format: "%d of %d (%.2f%%)", k, n, 100 * Double(k) / Double(n)) : "0 of 0" }
        print("Decision rule: floor mean + \(DecisionRule.floorSds) sd; difference beyond \(DecisionRule.differenceSds) sd; no verdict at R-hat > \(DecisionRule.maxRhat) or bulk ESS < \(Int(DecisionRule.minBulkEssPerChain)) per chain.")
        print("Ising \(lattice) periodic, β = \(beta), MH 4 chains × \(samplesPerChain) samples, seeds \(firstSeed)…\(firstSeed + UInt64(seeds) - 1):")
        print("  false 'better/worse', MH vs exact draws:    " + rate(rates.mhVsExactCalls, rates.mhVsExactJudged))
        print("  false 'better/worse', exact vs exact draws: " + rate(rates.exactVsExactCalls, rates.seeds))
        print("  false 'measurably off', exact draws:        " + rate(rates.exactFloorFalseAlarms, rates.exactFloorJudged))
        print("  false 'measurably off', MH draws:           " + rate(rates.mhFloorFalseAlarms, rates.mhVsExactJudged))
        print("  MH runs refused a verdict:                  " + rate(rates.mhRefusals, rates.seeds))
    }
}
