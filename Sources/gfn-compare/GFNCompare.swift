import ArgumentParser
import Comparison

/// The root command. `gfn-compare --energy ising` runs the default `run` subcommand.
struct GFNCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfn-compare",
        abstract: "Compare Metropolis-Hastings and GFlowNet samplers against the exact Boltzmann distribution.",
        discussion: """
        Energy convention (Ising): E(x) = −J·Σ_<ij> s_i s_j − h·Σ_i s_i with every nearest-neighbour bond \
        counted once; the target is p(x) ∝ exp(−β·E(x)). torchgfn's DiscreteEBM counts each bond twice: its J is 2J here.
        """,
        version: toolInfo.version,
        subcommands: [RunCommand.self, ReportCommand.self, ReproduceCommand.self, CheckCommand.self, SweepCommand.self, MergeCommand.self, EnergiesCommand.self, BenchCommand.self, VerdictRatesCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
