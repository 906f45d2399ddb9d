import Foundation
import Metrics

/// The two samplers against each other in words, rendered from the record alone (so `report`
/// re-renders it byte for byte). Every claim comes from a field that `DecisionRule` decided.
public enum Verdict {
    public static func words(mh: SamplerMetrics, gfn: SamplerMetrics, comparison c: ComparisonRecord, exact: ExactRecord) -> String {
        let reference = referenceName(exact)
        let f = MarkdownReport.fmt
        var words: [String] = []
        let mhEffective = mh.effectiveDraws.map { ", \(f($0)) effective draws of its slowest observable (\(mh.slowestObservable ?? "energy"))" } ?? ""
        words.append("Metropolis-Hastings drew \(mh.samples) samples\(mhEffective) in \(f(mh.wallSeconds)) s and \(mh.energyWork.map(String.init) ?? "n/a") units of energy work. \(floorSentence(mh, reference: reference))")
        words.append("The GFlowNet trained for \(f(gfn.trainingSeconds ?? 0)) s (\(gfn.energyWork.map(String.init) ?? "n/a") units of energy work), then drew \(gfn.samples) independent samples in \(f(gfn.samplingSeconds ?? 0)) s. \(floorSentence(gfn, reference: reference))")
        if let model = gfn.tvModelExact {
            words.append("Its exact model distribution is at TV \(f(model)) from the target: that is the GFlowNet's bias, which no number of samples removes.")
        }
        if let lz = exact.logZ, let learned = gfn.logZLearned {
            words.append("Its learned log Z is \(f(learned)) against the exact \(f(lz)) (error \(f(learned - lz))).")
        }
        words.append(decisionSentence(c, reference: reference))
        words.append(contentsOf: costSentences(mh: mh, gfn: gfn, c))
        return words.joined(separator: " ")
    }

    /// One sampler against exact sampling at its own number of thinned draws.
    /// How the sentences name the reference chain beyond enumeration: "the Wolff reference" or
    /// "the parallel-tempering reference", from its recorded method.
    static func referenceName(_ exact: ExactRecord) -> String {
        exact.referenceEstimate?.method.hasPrefix("parallel tempering") == true ? "the parallel-tempering reference" : "the Wolff reference"
    }

    static func floorSentence(_ m: SamplerMetrics, reference: String = "the Wolff reference") -> String {
        let f = MarkdownReport.fmt
        if let why = m.verdictRefusal { return "Its draws support no verdict: \(why)." }
        guard let within = m.withinNoiseFloor, let floor = m.noiseFloor, let t = m.thinnedTv else {
            if let exact = m.meanEnergyExact, let mcse = m.meanEnergyMcse, mcse > 0 {
                let (z, consistent) = DecisionRule.meanEnergy(estimate: m.meanEnergy, exact: exact, mcse: mcse)
                return "Its draws cannot be compared state by state with the target here (no probability table), but its mean energy \(f(m.meanEnergy)) ± \(f(mcse)) is \(f(abs(z))) MCSE from the exact \(f(exact)): "
                    + (consistent ? "consistent with exact sampling (within the rule's \(f(DecisionRule.meanEnergyMcses)))." : "measurably off (beyond the rule's \(f(DecisionRule.meanEnergyMcses))).")
                    + referenceSentence(m, reference: reference)
            }
            return "Its draws cannot be compared with exact sampling here (no probability table of the target)."
        }
        let which = floor.draws == m.samples ? "Its \(floor.draws) draws" : "Its \(floor.draws) thinned draws"
        return within
            ? "\(which) (TV \(f(t))) are within the noise floor of as many exact draws (\(f(floor.mean.tv)) ± \(f(floor.sd.tv))): indistinguishable from exact sampling."
            : "\(which) (TV \(f(t))) lie more than \(f(DecisionRule.floorSds)) sd above the noise floor of as many exact draws (\(f(floor.mean.tv)) ± \(f(floor.sd.tv))): measurably further from the target than exact sampling."
    }

    /// The histograms of E and m = M/n against the reference estimate's (empty without them).
    static func referenceSentence(_ m: SamplerMetrics, reference: String) -> String {
        let f = MarkdownReport.fmt
        guard let c = m.referenceComparison, let e = c.energy, let a = c.magnetization else { return "" }
        func part(_ name: String, _ h: HistogramComparison) -> String {
            "its \(name) histogram is at TV \(f(h.tv)) from the reference's, "
                + (h.withinFloor ? "within" : "beyond") + " the floor of two exact samples of these sizes (\(f(h.floorMean)) ± \(f(h.floorSd)))"
        }
        let thinned = c.thinning == 1 ? "its \(e.draws) draws" : "its \(e.draws) draws thinned to every \(c.thinning)th"
        let both = e.withinFloor && a.withinFloor
        return " Against \(reference) (\(e.referenceDraws) thinned draws), on \(thinned), " + part("energy", e) + "; " + part("magnetisation", a) + ": "
            + (both ? "consistent with the reference." : "measurably different from the reference (beyond \(f(DecisionRule.floorSds)) sd).")
    }

    static func decisionSentence(_ c: ComparisonRecord, reference: String) -> String {
        let f = MarkdownReport.fmt
        if let r = c.referenceMatch {
            let second = c.second == "gfn-mh" ? "the GFlowNet-in-MH chain" : "the GFlowNet"
            func part(_ name: String, _ h: MatchedHistograms) -> String {
                "\(name) histogram TV \(f(h.mhTv)) for MH, \(f(h.secondTv)) for \(second) (two exact samples: \(f(h.floorMean)) ± \(f(h.floorSd)); difference \(f(abs(h.differenceZ))) sd)"
            }
            let at = "At an equal \(r.draws) thinned draws each, against \(reference)'s \(r.referenceDraws): " + part("energy", r.energy) + "; " + part("magnetisation", r.magnetization)
            switch c.decision {
            case "mh-better": return "\(at). MH is the better sampler: it is closer on one histogram by more than the rule's \(f(DecisionRule.differenceSds)) sd and not further on the other."
            case "gfn-better", "gfn-mh-better": return "\(at). \(second.prefix(1).uppercased() + second.dropFirst()) is the better sampler: it is closer on one histogram by more than the rule's \(f(DecisionRule.differenceSds)) sd and not further on the other."
            case "no-verdict": return "\(at). No verdict: " + (c.decisionReason ?? "the histograms disagree") + "."
            default: return "\(at). There is no measurable difference between the samplers: both differences are within the rule's \(f(DecisionRule.differenceSds)) sd."
            }
        }
        guard let n = c.matchedDraws, let a = c.mhMatchedTv, let b = c.gfnMatchedTv else {
            return "No verdict on which sampler is better: " + (c.decisionReason ?? "the draws cannot be compared") + "."
        }
        let z = c.differenceZ.map { f(abs($0)) } ?? "∞"
        let second = c.second == "gfn-mh" ? "the GFlowNet-in-MH chain" : "the GFlowNet"
        let at = "At an equal \(n) draws each (TV \(f(a)) for MH, \(f(b)) for \(second); exact sampling: \(f(c.matchedFloorMean ?? .nan)) ± \(f(c.matchedFloorSd ?? .nan)))"
        switch c.decision {
        case "mh-better": return "\(at), MH is the better sampler: the difference is \(z) sd of what two exact samplers would show, beyond the rule's \(f(DecisionRule.differenceSds))."
        case "gfn-better", "gfn-mh-better": return "\(at), \(second) is the better sampler: the difference is \(z) sd of what two exact samplers would show, beyond the rule's \(f(DecisionRule.differenceSds))."
        default: return "\(at), there is no measurable difference between the samplers: the difference is \(z) sd of what two exact samplers would show, within the rule's \(f(DecisionRule.differenceSds))."
        }
    }

    /// The GFlowNet-in-MH chain against MH, from its comparison record.
    public static func gfnMHWords(gfnMH m: SamplerMetrics, comparison c: ComparisonRecord, exact: ExactRecord) -> String {
        let reference = referenceName(exact)
        let f = MarkdownReport.fmt
        var words: [String] = []
        let effective = m.effectiveDraws.map { ", \(f($0)) effective draws of its slowest observable (\(m.slowestObservable ?? "energy"))" } ?? ""
        let accepted = m.gfnMh.flatMap { q in q.acceptanceRate.map { " It accepted \(f($0)) of its GFlowNet proposals (longest run of rejections \(q.longestRejectionRun))." } } ?? ""
        words.append("With the trained GFlowNet as its proposal, Metropolis-Hastings drew \(m.samples) samples\(effective) in \(f(m.wallSeconds)) s and \(m.energyWork.map(String.init) ?? "n/a") units of energy work, reusing the training.\(accepted) \(floorSentence(m, reference: reference))")
        words.append(decisionSentence(c, reference: reference))
        if let note = c.breakEvenNote {
            words.append("Cost: \(note).")
        } else if let be = c.breakEvenByEnergyWork {
            words.append("Counting the training, it costs less energy work than MH after \(f(be)) effective draws" + (c.wallBreakEvenSamples.map { ", and less wall time after \(f($0))." } ?? "; in wall time it does not pay off here."))
        }
        return words.joined(separator: " ")
    }

    static func costSentences(mh: SamplerMetrics, gfn: SamplerMetrics, _ c: ComparisonRecord) -> [String] {
        let f = MarkdownReport.fmt
        if let note = c.breakEvenNote { return ["Cost: \(note)."] }
        var out: [String] = []
        if gfn.withinNoiseFloor == false, let n = c.matchedDraws {
            out.append("The GFlowNet's own \(gfn.samples) draws are measurably off the target, so what follows holds for needs of up to about \(n) draws, where no difference was measurable.")
        }
        if let work = c.mhEnergyWorkPerEffectiveDraw {
            out.append("MH spends \(f(work)) units of energy work per effective draw; the GFlowNet's training (\(c.gfnTrainingEnergyWork.map(String.init) ?? "n/a") units) equals "
                       + (c.breakEvenByEnergyWork.map { "what MH spends on \(f($0)) effective draws, and its sampling needs none." } ?? "no finite number of MH's effective draws."))
        }
        if let be = c.wallBreakEvenSamples {
            out.append("In wall time the GFlowNet's training pays off after about \(f(be)) effective draws.")
        } else if let e = c.mhEffectiveDraws {
            let mhPer = mh.wallSeconds / e, gfnPer = (gfn.samplingSeconds ?? 0) / Double(max(gfn.samples, 1))
            out.append("In wall time the GFlowNet never pays off its training here: MH makes an effective draw in \(f(mhPer * 1e6)) µs, the trained GFlowNet needs \(f(gfnPer * 1e6)) µs per sample.")
        }
        return out
    }
}
