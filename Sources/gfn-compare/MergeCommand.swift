import ArgumentParser
import Checks
import Foundation
import GFNCore

/// `gfn-compare merge DIR…`: gather sweep folders (shards, any order) into one report.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Merge sweep folders (from any shards or machines) into one report.md and sweep.json.")

    @Argument(help: "Sweep folders.")
    var folders: [String]

    @Option(help: "Where to write the merged report (default: the first folder).")
    var out: String?

    @Flag(help: "The sweep is a study (axes lattice, beta, budget-work): report.md is the break-even study (study.json, quality plots; the run table goes to sweep.md). Lines of the folder's study-notes.md, if any, head the report.")
    var study = false

    func run() throws {
        guard !folders.isEmpty else { throw GFNError.invalidInput("merge needs at least one sweep folder") }
        let dirs = folders.map { URL(fileURLWithPath: $0) }
        let target = out.map { URL(fileURLWithPath: $0) } ?? dirs[0]
        let n = try SweepMerge.merge(dirs, into: target, study: study)
        print("merged \(n) runs into \(target.appendingPathComponent("report.md").path)")
    }
}
