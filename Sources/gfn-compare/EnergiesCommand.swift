import ArgumentParser
import Comparison

/// `gfn-compare energies`: every energy with its parameters and defaults (from `EnergyCatalogue`).
struct EnergiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "energies", abstract: "List the energy models, their parameters and defaults.")

    func run() {
        for entry in EnergyCatalogue.entries {
            let lines = entry.summary.split(separator: "\n", omittingEmptySubsequences: false)
            // The name in its own column; a long name pushes its first line over by two spaces.
            let head = entry.name.count < 8 ? entry.name.padding(toLength: 8, withPad: " ", startingAt: 0) : entry.name + "  "
            print(head + lines[0])
            for line in lines.dropFirst() { print("        " + line) }
        }
    }
}
