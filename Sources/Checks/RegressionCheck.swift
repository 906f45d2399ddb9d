import Comparison
import Foundation
import GFNCore
import Reporting

/// A calibrated baseline of sampler quality: the configuration, the exact values, and for each
/// tracked metric its mean and spread over several seeds, so a new run can be judged with a
/// known false-alarm rate.
public struct Baseline: Codable, Equatable, Sendable {
    public static let currentVersion = 1
    public var baselineVersion: Int
    public var toolVersion: String
    public var gitCommit: String?
    public var config: RunConfig
    public var exactLogZ: Double?
    public var exactMeanEnergy: Double?
    public var calibrationSeeds: [UInt64]
    /// Threshold in standard deviations (per metric), see ``TrackedMetric``.
    public var z: Double
    /// A chi-square p-value below this is a regression.
    public var chiSquareThreshold: Double
    public var metrics: [TrackedMetric]

    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.keyEncodingStrategy = .convertToSnakeCase
        var d = try enc.encode(self)
        d.append(0x0A)
        return d
    }

    /// Reads a baseline; every failure is a clear `GFNError.invalidInput`.
    public static func read(_ url: URL) throws -> Baseline {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw GFNError.invalidInput("baseline \(url.path): cannot read the file") }
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        struct Version: Decodable { var baselineVersion: Int? }
        guard let v = try? dec.decode(Version.self, from: data) else {
            throw GFNError.invalidInput("baseline \(url.path): not a JSON baseline file")
        }
        guard let version = v.baselineVersion else {
            throw GFNError.invalidInput("baseline \(url.path): not a gfn-compare baseline (no baseline_version); make one with `gfn-compare check RUN.json --update --out BASELINE.json`")
        }
        guard version == currentVersion else {
            throw GFNError.invalidInput("baseline \(url.path) has baseline_version \(version); this gfn-compare reads version \(currentVersion)")
        }
        let baseline: Baseline
        do { baseline = try dec.decode(Baseline.self, from: data) } catch {
            throw GFNError.invalidInput("baseline \(url.path): corrupt (\(error.localizedDescription))")
        }
        if let problem = baseline.implausibility { throw GFNError.invalidInput("baseline \(url.path) is unusable: \(problem)") }
        return baseline
    }

    /// Why the baseline's numbers cannot be a calibration, or nil. A negative sd or z would flag
    /// every run, a huge one no run: both would make `check` lie, so they are refused.
    ///
    /// Every tracked metric is an error or a distance (≥ 0); the TVs and marginal errors are at
    /// most 1. An sd more than 10 times the larger of the mean and the allowance is not what a
    /// few calibration seeds of an error metric produce (their spread is of the order of their mean).
    public var implausibility: String? {
        guard z.isFinite, z > 0, z <= 100 else { return "z = \(z) must be in (0, 100]" }
        guard chiSquareThreshold.isFinite, chiSquareThreshold > 0, chiSquareThreshold <= 0.5 else {
            return "chi_square_threshold = \(chiSquareThreshold) must be in (0, 0.5]"
        }
        guard !calibrationSeeds.isEmpty else { return "calibration_seeds is empty" }
        for m in metrics {
            let name = "\(m.sampler).\(m.metric)"
            guard m.mean.isFinite, m.mean >= 0 else { return "\(name): mean = \(m.mean) must be a finite number ≥ 0" }
            guard m.sd.isFinite, m.sd >= 0 else { return "\(name): sd = \(m.sd) must be a finite number ≥ 0" }
            guard m.allowance.isFinite, m.allowance >= 0 else { return "\(name): allowance = \(m.allowance) must be a finite number ≥ 0" }
            if ["thinned_tv", "tv_model_exact", "max_marginal_error"].contains(m.metric), m.mean > 1 {
                return "\(name): mean = \(m.mean), but this metric is at most 1"
            }
            guard m.sd <= 10 * max(m.mean, m.allowance) else {
                return "\(name): sd = \(m.sd) is implausible for a mean of \(m.mean) (at most 10 × the larger of the mean and the allowance \(m.allowance)); recalibrate with `check --update`"
            }
        }
        return nil
    }
}

/// One metric under watch: smaller is better for all of them.
public struct TrackedMetric: Codable, Equatable, Sendable {
    public var sampler: String
    public var metric: String
    public var mean: Double
    public var sd: Double
    /// An absolute allowance added to z·sd (the spread of a few seeds can be near zero).
    public var allowance: Double
}

/// The outcome for one metric.
public struct MetricVerdict: Sendable, Equatable {
    public enum Outcome: String, Sendable { case pass, regressed, improved }
    public var sampler: String
    public var metric: String
    public var value: Double?
    public var baseline: Double
    public var threshold: Double
    public var outcome: Outcome
}

public enum RegressionCheck {
    /// The tracked values of a run: name → value (smaller is better).
    public static func trackedValues(_ r: RunRecord) -> [(String, String, Double)] {
        var out: [(String, String, Double)] = []
        for s in r.samplers {
            let m = s.metrics
            if let t = m.thinnedTv { out.append((s.name, "thinned_tv", t)) }
            if let e = m.maxMarginalError { out.append((s.name, "max_marginal_error", e)) }
            if let exact = m.meanEnergyExact { out.append((s.name, "mean_energy_abs_error", abs(m.meanEnergy - exact))) }
            if let lz = m.logZLearned, let exact = r.exact.logZ { out.append((s.name, "log_z_abs_error", abs(lz - exact))) }
            if let tv = m.tvModelExact { out.append((s.name, "tv_model_exact", tv)) }
        }
        return out
    }

    /// Absolute allowance per metric: below these, differences are not worth an alarm.
    static func allowance(_ metric: String) -> Double {
        switch metric {
        case "thinned_tv", "tv_model_exact": return 0.005
        case "max_marginal_error": return 0.005
        case "mean_energy_abs_error": return 0.05
        case "log_z_abs_error": return 0.02
        default: return 0.01
        }
    }

    /// Runs the configuration under each seed and records every tracked metric's mean and sd.
    public static func calibrate(config: RunConfig, seeds: [UInt64], z: Double = 5, progress: ProgressReporter) throws -> Baseline {
        var values: [String: [Double]] = [:]
        var order: [(String, String)] = []
        var exactLogZ: Double?, exactMean: Double?
        for (i, seed) in seeds.enumerated() {
            var settings = try RunSettings(config: config)
            settings.seed = seed
            progress.begin("calibration run \(i + 1) of \(seeds.count) (seed \(seed))")
            let r = try ComparisonRun.run(settings, command: "gfn-compare check --update")
            progress.end("done")
            exactLogZ = r.exact.logZ; exactMean = r.exact.meanEnergy
            for (s, name, v) in trackedValues(r) {
                let key = "\(s).\(name)"
                if values[key] == nil { order.append((s, name)) }
                values[key, default: []].append(v)
            }
        }
        let metrics = order.map { s, name -> TrackedMetric in
            let v = values["\(s).\(name)"]!
            let mean = v.reduce(0, +) / Double(v.count)
            let sd = v.count > 1 ? (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot() : 0
            return TrackedMetric(sampler: s, metric: name, mean: mean, sd: sd, allowance: allowance(name))
        }
        var c = config
        c.seed = seeds[0]
        return Baseline(baselineVersion: Baseline.currentVersion, toolVersion: toolInfo.version, gitCommit: MachineInfo.gitCommit,
                        config: c, exactLogZ: exactLogZ, exactMeanEnergy: exactMean, calibrationSeeds: seeds, z: z,
                        chiSquareThreshold: 1e-4, metrics: metrics)
    }

    /// Compares a new run with the baseline: each metric passes, regresses (above mean + z·sd +
    /// allowance) or improves (below mean − z·sd − allowance); exact values must match exactly;
    /// MH's chi-square p-value must stay above the baseline's threshold.
    public static func compare(_ r: RunRecord, with b: Baseline) -> [MetricVerdict] {
        var out: [MetricVerdict] = []
        let current = Dictionary(trackedValues(r).map { ("\($0.0).\($0.1)", $0.2) }, uniquingKeysWith: { a, _ in a })
        for m in b.metrics {
            let value = current["\(m.sampler).\(m.metric)"]
            let upper = m.mean + b.z * m.sd + m.allowance
            let lower = m.mean - b.z * m.sd - m.allowance
            let outcome: MetricVerdict.Outcome = value.map { $0 > upper ? .regressed : ($0 < lower ? .improved : .pass) } ?? .regressed
            out.append(MetricVerdict(sampler: m.sampler, metric: m.metric, value: value, baseline: m.mean, threshold: upper, outcome: outcome))
        }
        for (name, new, old) in [("exact.log_z", r.exact.logZ, b.exactLogZ), ("exact.mean_energy", r.exact.meanEnergy, b.exactMeanEnergy)] {
            guard let old else { continue }
            let same = new.map { abs($0 - old) <= 1e-9 * max(1, abs(old)) } ?? false
            out.append(MetricVerdict(sampler: "exact", metric: name, value: new, baseline: old, threshold: old, outcome: same ? .pass : .regressed))
        }
        if let mh = r.samplers.first(where: { $0.name == "mh" }), let chi = mh.metrics.chiSquare {
            // Smaller is better everywhere in this table: track −log10 p.
            let score = -log10(max(chi.pValue, 1e-300))
            let limit = -log10(b.chiSquareThreshold)
            out.append(MetricVerdict(sampler: "mh", metric: "chi_square_minus_log10_p", value: score, baseline: limit, threshold: limit,
                                     outcome: score > limit ? .regressed : .pass))
        }
        return out
    }
}
