import Comparison
import Exact
import Foundation
import GFNCore
import Reporting

/// One run's line in sweep.json: only deterministic numbers, so shards merged in any order give
/// the same file byte for byte.
public struct SweepRunSummary: Codable, Equatable {
    var index: Int
    var values: [String: String]
    var metrics: [String: [String: Double?]]
}

public struct SweepRecord: Codable, Equatable {
    var name: String
    var spec: SweepSpec
    var toolVersion: String
    var runs: [SweepRunSummary]
}

public enum SweepMerge {
    /// Gathers the run folders of `dirs` (shards, in any order) into `out`/report.md and sweep.json.
    /// Refuses different specs, different tool versions, conflicting duplicates and missing runs.
    /// Returns the number of runs merged.
    @discardableResult
    public static func merge(_ dirs: [URL], into out: URL, study: Bool = false) throws -> Int {
        var spec: SweepSpec?
        var records: [Int: RunRecord] = [:]
        var toolVersion: String?
        for dir in dirs {
            let specURL = dir.appendingPathComponent("sweep-spec.json")
            guard let data = try? Data(contentsOf: specURL), let s = try? JSONDecoder().decode(SweepSpec.self, from: data) else {
                throw GFNError.invalidInput("\(dir.path) is not a sweep folder (no readable sweep-spec.json)")
            }
            if let spec, spec != s { throw GFNError.invalidInput("\(dir.path) was made from a different sweep spec ('\(s.name)') than the others ('\(spec.name)'); refusing to mix them") }
            spec = s
            let runsDir = dir.appendingPathComponent("runs")
            for r in s.runs {
                let url = runsDir.appendingPathComponent(s.folder(r.index)).appendingPathComponent("run.json")
                guard let data = try? Data(contentsOf: url) else { continue }
                let record: RunRecord
                do { record = try RunRecord.decode(data) } catch { throw GFNError.invalidInput("\(url.path): \(error)") }
                if let v = toolVersion, v != record.tool.version {
                    throw GFNError.invalidInput("\(url.path) was made by gfn-compare \(record.tool.version), the others by \(v); refusing to mix them")
                }
                toolVersion = record.tool.version
                if let previous = records[r.index] {
                    let diff = try Reproducibility.differences(try previous.jsonData(), try record.jsonData())
                        .filter { $0 != "command" }
                    if !diff.isEmpty { throw GFNError.invalidInput("run \(r.index) appears twice with different results (\(diff.prefix(3).joined(separator: ", "))); refusing to merge") }
                }
                records[r.index] = record
            }
        }
        guard let spec else { throw GFNError.invalidInput("merge needs at least one sweep folder") }
        let needed = ["lattice", "beta", "budget-work"], flags = spec.axes.map(\.flag)
        if study, !needed.allSatisfy(flags.contains) {
            throw GFNError.invalidInput("merge --study needs a sweep whose axes include \(needed.joined(separator: ", ")) (this one has \(flags.joined(separator: ", ")))")
        }
        let missing = spec.runs.map(\.index).filter { records[$0] == nil }
        if !missing.isEmpty {
            throw GFNError.runtime("\(missing.count) of \(spec.runs.count) runs are missing (\(missing.prefix(10).map(String.init).joined(separator: ", "))\(missing.count > 10 ? ", …" : "")); run the remaining shards, then merge again")
        }
        let summaries = spec.runs.map { r -> SweepRunSummary in
            let rec = records[r.index]!
            var metrics: [String: [String: Double?]] = [:]
            for s in rec.samplers {
                let m = s.metrics
                metrics[s.name] = [
                    "tv": m.tv, "thinned_tv": m.thinnedTv, "tv_model_exact": m.tvModelExact,
                    "mean_energy_error": m.meanEnergyExact.map { m.meanEnergy - $0 },
                    "log_z_error": zipOptional(m.logZLearned, rec.exact.logZ).map { $0 - $1 },
                    "max_marginal_error": m.maxMarginalError, "energy_evaluations": Double(m.energyEvaluations),
                ]
            }
            return SweepRunSummary(index: r.index, values: Dictionary(uniqueKeysWithValues: zip(spec.axes.map(\.flag), r.values)), metrics: metrics)
        }
        let record = SweepRecord(name: spec.name, spec: spec, toolVersion: toolVersion ?? toolInfo.version, runs: summaries)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.keyEncodingStrategy = .convertToSnakeCase
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try AtomicOutput.write(try enc.encode(record) + Data("\n".utf8), to: out.appendingPathComponent("sweep.json"))
        for (name, svg) in plots(record) { try AtomicOutput.write(Data(svg.utf8), to: out.appendingPathComponent(name)) }
        guard study else {
            try AtomicOutput.write(Data(report(record).utf8), to: out.appendingPathComponent("report.md"))
            return summaries.count
        }
        // A study: the sweep's table goes to sweep.md, the study's report is report.md.
        let cells = try spec.runs.map { r -> StudyCell in
            guard let cell = StudyCell(record: records[r.index]!) else { throw GFNError.invalidInput("run \(r.index) has no budget") }
            return cell
        }
        try AtomicOutput.write(Data(report(record).utf8), to: out.appendingPathComponent("sweep.md"))
        try AtomicOutput.write(try enc.encode(cells) + Data("\n".utf8), to: out.appendingPathComponent("study.json"))
        for (name, svg) in Study.plots(cells) { try AtomicOutput.write(Data(svg.utf8), to: out.appendingPathComponent(name)) }
        let notes = (try? String(contentsOf: out.appendingPathComponent("study-notes.md"), encoding: .utf8))
            .map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
        try AtomicOutput.write(Data(Study.report(name: spec.name, cells: cells, notes: notes, criticalBeta: defaultBeta).utf8), to: out.appendingPathComponent("report.md"))
        return summaries.count
    }

    static func zipOptional(_ a: Double?, _ b: Double?) -> (Double, Double)? {
        guard let a, let b else { return nil }
        return (a, b)
    }

    /// The first axis whose values are all numbers: the x axis of the plots.
    static func numericAxis(_ spec: SweepSpec) -> SweepSpec.Axis? {
        spec.axes.first { $0.values.count > 1 && $0.values.allSatisfy { Double($0) != nil } }
    }

    static func plots(_ r: SweepRecord) -> [String: String] {
        guard let axis = numericAxis(r.spec) else { return [:] }
        var files: [String: String] = [:]
        for (metric, title, log) in [("tv", "TV of all draws to the target", true), ("tv_model_exact", "TV of the GFlowNet's exact model distribution", true),
                                     ("log_z_error", "learned log Z − exact log Z", false)] {
            var plot = SVGPlot(title: "\(title) against \(axis.flag)", xLabel: axis.flag, yLabel: metric, logY: log)
            var ys: [Double] = []
            for sampler in ["mh", "gfn", "gfn-mh"] {
                // Average over the other axes (e.g. seeds) at each value of the plotted axis.
                let points = axis.values.compactMap { v -> (Double, Double)? in
                    let vals = r.runs.filter { $0.values[axis.flag] == v }.compactMap { $0.metrics[sampler]?[metric] ?? nil }
                    guard !vals.isEmpty, let x = Double(v) else { return nil }
                    return (x, vals.reduce(0, +) / Double(vals.count))
                }
                if !points.isEmpty { plot.series.append(.init(name: ReportPlots.samplerLabel[sampler] ?? sampler, points: points, style: .lineAndMarkers)) }
                ys += points.map(\.1)
            }
            guard !plot.series.isEmpty else { continue }
            if axis.flag == "beta", let lo = ys.filter({ !log || $0 > 0 }).min(), let hi = ys.max() {
                plot.series.append(.init(name: "β_c = 0.4407", points: [(criticalBeta, lo), (criticalBeta, hi)]))
            }
            files["\(metric)-vs-\(axis.flag).svg"] = plot.render()
        }
        return files
    }

    static func report(_ r: SweepRecord) -> String {
        var lines = ["# gfn-compare sweep: \(r.name)", "", "\(r.runs.count) runs; shared arguments: `\(r.spec.base.joined(separator: " "))`.", ""]
        let flags = r.spec.axes.map(\.flag)
        let columns = ["mh tv", "gfn tv", "gfn tv_model_exact", "gfn log_z_error", "mh mean_energy_error", "gfn mean_energy_error"]
        lines.append("| run | " + flags.joined(separator: " | ") + " | " + columns.joined(separator: " | ") + " |")
        lines.append("|---:|" + flags.map { _ in "---|" }.joined() + columns.map { _ in "---:|" }.joined())
        for run in r.runs {
            let cells = columns.map { c -> String in
                let parts = c.split(separator: " ").map(String.init)
                return (run.metrics[parts[0]]?[parts[1]] ?? nil).map(MarkdownReport.fmt) ?? "n/a"
            }
            lines.append("| \(run.index) | " + flags.map { run.values[$0] ?? "" }.joined(separator: " | ") + " | " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        for name in plots(r).keys.sorted() { lines.append("![\(name)](\(name))") }
        lines.append("")
        lines.append("Each run's full report is in `runs/run-NNNNN/report.md`.")
        return lines.joined(separator: "\n") + "\n"
    }
}
