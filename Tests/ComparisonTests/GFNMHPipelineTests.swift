@testable import Comparison
import Energies
import Foundation
import GFNCore
import GFlowNets
import MCMC
import Metrics
import Reporting
import Settings
import Testing
import TestSupport

/// The `gfn-mh` sampler through the whole pipeline: with a deliberately under-trained GFlowNet
/// (biased P_T, TV(P_T, p) > 0.1) its draws are within the noise floor of exact sampling, while the
/// plain GFlowNet's are not. "Within" is the report's own rule (thinned TV ≤ floor mean + 3 sd of
/// 50 simulated exact samples of the same size) and a chi-square p-value above 0.001 on the same
/// thinned draws; fixed seeds.
@Suite struct GFNMHPipelineTests {
    init() { TestSupport.singleThreadedBLAS() }

    static func settings(energy: EnergySpec, every: Int?) -> RunSettings {
        var g = GFlowNetSettings()
        g.hidden = 16; g.batch = 16; g.iterations = 200; g.blasThreads = 1
        var s = RunSettings(energy: energy, beta: 0.3, seed: 11,
                            schedule: ChainSchedule(chains: 4, burnInSweeps: 50, samplesPerChain: 5_000, thinSweeps: 1),
                            gfn: g, gfnSamples: 20_000)
        s.gfnMH = GFlowNetMHSettings(every: every, samples: 20_000)
        return s
    }

    static let energies: [(String, EnergySpec)] = [
        ("ising", .ising(rows: 3, cols: 3, boundary: .periodic, coupling: 1, field: 0)),
        ("potts", .potts(rows: 3, cols: 3, boundary: .periodic, q: 3, coupling: 1, field: 0)),
    ]

    @Test(arguments: [0, 1], [nil, 3])
    func gfnMHRemovesTheGFlowNetsBias(_ which: Int, every: Int?) throws {
        let r = try ComparisonRun.run(Self.settings(energy: Self.energies[which].1, every: every), command: "test")
        #expect(r.samplers.map(\.name) == ["mh", "gfn", "gfn-mh"])
        let gfn = r.samplers[1].metrics, chain = r.samplers[2].metrics
        #expect((gfn.tvModelExact ?? 0) > 0.1, "the GFlowNet should be biased: TV(P_T, p) = \(gfn.tvModelExact ?? .nan)")
        #expect(gfn.withinNoiseFloor == false)
        #expect(chain.verdictRefusal == nil, "\(chain.verdictRefusal ?? "")")
        #expect(chain.withinNoiseFloor == true, "thinned TV \(chain.thinnedTv ?? .nan), floor \(chain.noiseFloor.map { "\($0.mean.tv) ± \($0.sd.tv)" } ?? "")")
        #expect((chain.chiSquare?.pValue ?? 0) > 0.001)
        let q = try #require(chain.gfnMh)
        #expect(q.proposals == (every == nil ? 4 * (5_000 + GFlowNetMHSettings.independenceBurnIn) : 4 * (5_050 / 3)))
        #expect(q.acceptances > 0 && q.acceptances < q.proposals)
        // Counted cost: one full E(x) per proposal and per chain start; local ΔE only when mixed.
        #expect(chain.fullEnergyEvaluations == q.proposals + 4)
        #expect((chain.deltaEnergyEvaluations == 0) == (every == nil))
        #expect(q.reusedTrainingEnergyWork == gfn.energyWork)
        let c = try #require(r.gfnMhComparison)
        #expect(c.second == "gfn-mh")
        // The record round-trips, renders, and reruns with the same gfn-mh settings.
        let back = try RunRecord.decode(try r.jsonData())
        #expect(back.gfnMhComparison == c && back.samplers[2].metrics.gfnMh == q)
        let md = MarkdownReport.render(r)
        #expect(md.contains("## Sampler `gfn-mh`") && md.contains("**GFlowNet inside MH.**") && md.contains("TV at an equal"))
        let rerun = try RunSettings(config: r.config)
        #expect(rerun.gfnMH == Self.settings(energy: Self.energies[which].1, every: every).gfnMH)
    }

    @Test func sameSeedSameRecord() throws {
        let s = Self.settings(energy: Self.energies[0].1, every: 2)
        let a = try ComparisonRun.run(s, command: "x").jsonData(), b = try ComparisonRun.run(s, command: "x").jsonData()
        #expect(try Reproducibility.differences(a, b) == [])
    }

    /// `--budget-work N`: each sampler's counted energy work is at most its share of N and short
    /// of it by less than the schedule's granularity (RunSettings.budgetTolerance: one sweep per
    /// MH chain, one training batch, one step of each gfn-mh chain).
    @Test(arguments: [nil, 2])
    func budgetsAreSpentAsCounted(every: Int?) throws {
        var s = Self.settings(energy: Self.energies[0].1, every: every)
        s.budget = WorkBudget(energyWork: 200_000, trainingShare: 0.4)
        let model = try s.energy.makeIsingModel()
        let tolerance = try s.applyingBudget(model: model).budgetTolerance(model: model)
        let r = try ComparisonRun.run(s, command: "x")
        let work = r.samplers.map { $0.metrics.energyWork ?? -1 }
        func within(_ spent: Int, _ budget: Double, _ tol: Int) -> Bool { Double(spent) <= budget && Double(spent) > budget - Double(tol) }
        #expect(within(work[0], 200_000, tolerance.mh), "MH spent \(work[0]), tolerance \(tolerance.mh)")
        #expect(within(work[1], 80_000, tolerance.gfn), "GFlowNet training spent \(work[1]), tolerance \(tolerance.gfn)")
        #expect(within(work[2], 120_000, tolerance.gfnMH), "gfn-mh spent \(work[2]), tolerance \(tolerance.gfnMH)")
        #expect(r.config.budget?.energyWork == 200_000)
        #expect(MarkdownReport.render(r).contains("**Equal budget.** Every sampler was given 200000 units"))
        // Rerunning the record re-derives the same schedules.
        let rerun = try RunSettings(config: r.config).applyingBudget(model: model)
        #expect(rerun.schedule == (try s.applyingBudget(model: model)).schedule && rerun.gfn?.iterations == r.config.gfn?.iterations)
    }

    @Test func budgetsTooSmallAreRefusedNamingTheFlag() throws {
        var s = Self.settings(energy: Self.energies[0].1, every: nil)
        s.budget = WorkBudget(energyWork: 1_000, trainingShare: 0.5)  // one training batch alone costs 16 × 9 × … units more than the share
        #expect { try s.validate() } throws: { "\($0)".contains("--budget-work") }
        s.budget = WorkBudget(energyWork: 20_000, trainingShare: 0.001)
        #expect { try s.validate() } throws: { "\($0)".contains("too small to train the GFlowNet at all") }
        s.budget = WorkBudget(energyWork: 200_000, trainingShare: 1)
        #expect { try s.validate() } throws: { "\($0)".contains("--budget-training-share") }
    }
}
