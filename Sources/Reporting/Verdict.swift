import Foundation

/// The two samplers against each other, in numbers and in words (rendered from the record, so
/// `report` re-renders it byte for byte; it quotes wall times, so it is not stored in run.json).
public enum Verdict {
    public static func compare(mh: SamplerMetrics, gfn: SamplerMetrics, exact: ExactRecord) -> (record: ComparisonRecord, words: String) {
        // MH's cost per effective sample (ESS of the energy), burn-in included.
        let mhEffective = max(mh.essEnergy ?? Double(mh.samples), 1)
        let mhEvaluationsPerEffective = Double(mh.energyEvaluations) / mhEffective
        let mhSecondsPerEffective = mh.wallSeconds / mhEffective
        let gfnSecondsPerSample = (gfn.samplingSeconds ?? 0) / Double(max(gfn.samples, 1))
        let training = Double(gfn.energyEvaluations)
        let byEvaluations = mhEvaluationsPerEffective > 0 ? training / mhEvaluationsPerEffective : nil
        let byTime = mhSecondsPerEffective > gfnSecondsPerSample ? (gfn.trainingSeconds ?? 0) / (mhSecondsPerEffective - gfnSecondsPerSample) : nil

        let f = MarkdownReport.fmt
        var words: [String] = []
        if let mtv = mh.tv, let gtv = gfn.tv {
            let mhFloor = mh.withinNoiseFloor == true ? " (its thinned draws are within the noise floor: indistinguishable from exact sampling)" : (mh.noiseFloor.map { " (its thinned draws are above their noise floor of \(f($0.mean.tv)))" } ?? "")
            let gfnFloor = gfn.withinNoiseFloor == true ? ", within its noise floor" : (gfn.noiseFloor.map { ", above its noise floor of \(f($0.mean.tv))" } ?? "")
            words.append("Metropolis-Hastings drew \(mh.samples) samples at TV \(f(mtv)) from the exact target\(mhFloor), in \(f(mh.wallSeconds)) s and \(mh.energyEvaluations) local energy evaluations.")
            words.append("The GFlowNet trained for \(f(gfn.trainingSeconds ?? 0)) s (\(gfn.energyEvaluations) full energy evaluations), then drew \(gfn.samples) independent samples at TV \(f(gtv))\(gfnFloor) in \(f(gfn.samplingSeconds ?? 0)) s.")
        }
        if let model = gfn.tvModelExact {
            words.append("Its exact model distribution is at TV \(f(model)) from the target: that is the GFlowNet's bias, which no number of samples removes.")
        }
        if let lz = exact.logZ, let learned = gfn.logZLearned {
            words.append("Its learned log Z is \(f(learned)) against the exact \(f(lz)) (error \(f(learned - lz))).")
        }
        if let mtv = mh.thinnedTv, let gtv = gfn.thinnedTv, let mf = mh.noiseFloor, let gf = gfn.noiseFloor {
            // Compare each sampler's excess over what exact draws of the same size would score.
            let mhExcess = mtv - mf.mean.tv, gfnExcess = gtv - gf.mean.tv
            if mhExcess <= gfnExcess {
                words.append("MH is the better sampler here: its excess over exact-sampling quality (\(f(mhExcess)) in TV) is smaller than the GFlowNet's (\(f(gfnExcess))), and it took \(f(mh.wallSeconds)) s against the GFlowNet's \(f(gfn.wallSeconds)) s.")
            } else {
                words.append("The GFlowNet is the better sampler here: its excess over exact-sampling quality (\(f(gfnExcess)) in TV) is smaller than MH's (\(f(mhExcess))).")
            }
        }
        if let be = byTime {
            words.append("In wall time the GFlowNet's training pays off after about \(f(be)) effective samples.")
        } else {
            words.append("In wall time the GFlowNet never pays off its training here: MH makes an effective sample in \(f(mhSecondsPerEffective * 1e6)) µs, the trained GFlowNet needs \(f(gfnSecondsPerSample * 1e6)) µs per sample.")
        }
        if let be = byEvaluations {
            words.append("In energy evaluations the GFlowNet's training equals what MH spends on \(f(be)) effective samples (MH: \(f(mhEvaluationsPerEffective)) evaluations per effective sample; GFlowNet sampling needs none).")
        }
        return (ComparisonRecord(breakEvenSamplesByEvaluations: byEvaluations, wallBreakEvenSamples: byTime), words.joined(separator: " "))
    }
}
