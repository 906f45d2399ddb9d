import ArgumentParser
import Checks
import Comparison
import Foundation
import GFNCore
import Reporting

/// `gfn-compare check BASELINE.json`: rerun a baseline's configuration and judge every tracked metric.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Regression check of sampler quality against a calibrated baseline (exit 0 pass, 1 regressed, 2 unusable baseline).",
        discussion: """
        A metric regresses when it exceeds its baseline mean + z·sd + an absolute allowance, where mean and sd come \
        from the baseline's calibration seeds; exact values (log Z, ⟨E⟩) must match to 1e-9; MH's chi-square p-value \
        must stay above the baseline's threshold. `--update` calibrates a new baseline from a run.json or a baseline.
        """)

    @Argument(help: "The baseline file (or, with --update, a run.json or baseline to calibrate from).")
    var baseline: String

    @Option(parsing: .unconditional, help: "Seed for the new run (default: the baseline's).", transform: parseSeed)
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Override the baseline's threshold z (standard deviations).", transform: finiteDouble)
    var tolerance: Double?

    @Option(help: "Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).")
    var summary: String?

    @Flag(help: "Calibrate and write a baseline instead of checking.")
    var update = false

    @Option(parsing: .unconditional, help: "With --update: calibration seeds.")
    var calibrationSeeds: Int = 8

    @Option(help: "With --update: where to write the baseline (default: overwrite BASELINE).")
    var out: String?

    @Option(name: .customLong("inject-fault"), help: ArgumentHelp("Plant a known regression (testing only).", visibility: .hidden))
    var injectFault: String?

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func run() throws {
        let progress = ProgressReporter(enabled: !quiet)
        if update {
            let url = URL(fileURLWithPath: baseline)
            let config: RunConfig
            if let b = try? Baseline.read(url) { config = b.config } else { config = try readRecord(baseline).config }
            guard (2...100).contains(calibrationSeeds) else { throw GFNError.invalidInput("--calibration-seeds must be between 2 and 100 (got \(calibrationSeeds))") }
            let seeds = (0..<UInt64(calibrationSeeds)).map { (seed ?? config.seed) &+ $0 }
            let b = try RegressionCheck.calibrate(config: config, seeds: seeds, z: tolerance ?? 5, progress: progress)
            let target = URL(fileURLWithPath: out ?? baseline)
            try AtomicOutput.write(try b.jsonData(), to: target)
            print("baseline written: \(target.path) (\(b.metrics.count) metrics over \(seeds.count) seeds)")
            return
        }
        var b = try Baseline.read(URL(fileURLWithPath: baseline))
        if let tolerance {
            guard tolerance > 0 else { throw GFNError.invalidInput("--tolerance must be > 0 (got \(tolerance))") }
            b.z = tolerance
        }
        var settings = try RunSettings(config: b.config)
        if let seed { settings.seed = seed }
        if let name = injectFault {
            guard let f = InjectedFault(rawValue: name) else {
                throw GFNError.invalidInput("unknown --inject-fault '\(name)'; known: \(InjectedFault.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.fault = f
        }
        let record = try ComparisonRun.run(settings, command: "gfn-compare check \(baseline)", progress: progress)
        let verdicts = RegressionCheck.compare(record, with: b)
        let table = render(verdicts, markdown: false)
        print(table)
        if let summary {
            let md = "## gfn-compare check: `\(baseline)` (seed \(settings.seed))\n\n" + render(verdicts, markdown: true)
            try AtomicOutput.write(Data(md.utf8), to: URL(fileURLWithPath: summary))
        }
        let regressed = verdicts.filter { $0.outcome == .regressed }
        if !regressed.isEmpty {
            print("REGRESSED: " + regressed.map { "\($0.sampler).\($0.metric)" }.joined(separator: ", "))
            throw ExitCode(1)
        }
        print("OK: no metric regressed (\(verdicts.count) checked)")
    }

    func render(_ v: [MetricVerdict], markdown: Bool) -> String {
        var lines = ["| sampler | metric | value | baseline | threshold | verdict |", "|---|---|---:|---:|---:|---|"]
        for x in v {
            let verdict = markdown && x.outcome == .regressed ? "**regressed**" : x.outcome.rawValue
            lines.append("| \(x.sampler) | \(x.metric) | \(x.value.map(MarkdownReport.fmt) ?? "missing") | \(MarkdownReport.fmt(x.baseline)) | \(MarkdownReport.fmt(x.threshold)) | \(verdict) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
