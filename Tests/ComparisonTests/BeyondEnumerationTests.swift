import Comparison
import Energies
import Exact
import Foundation
import GFNCore
import GFlowNets
import MCMC
import Metrics
import Reporting
import Settings
import Testing
import TestSupport

/// Where the target cannot be enumerated (8×8: 2^64 states), draws are judged against the Wolff
/// reference's histograms and against Kaufman's exact specific heat; spin glasses against
/// parallel tempering's.
@Suite struct BeyondEnumerationTests {
    init() { TestSupport.singleThreadedBLAS() }

    static func settings(beta: Double = 0.4) -> RunSettings {
        RunSettings(energy: .ising(rows: 8, cols: 8, boundary: .periodic, coupling: 1, field: 0), beta: beta, seed: 2,
                    schedule: ChainSchedule(chains: 2, burnInSweeps: 200, samplesPerChain: 20_000, thinSweeps: 1), gfn: nil)
    }

    /// A correct MH run is consistent with the reference on both histograms, and its specific heat
    /// and the reference's lie within 3 standard errors (batch means) of Kaufman's exact value —
    /// each a two-sided 3σ rule with a 0.27% false-alarm rate at this fixed seed; the reference
    /// itself matches the exact ⟨E⟩ within 4 MCSE.
    @Test func correctChainsAreConsistentWithTheReference() throws {
        let record = try ComparisonRun.run(Self.settings(), command: "test")
        let reference = try #require(record.exact.referenceEstimate)
        let exactC = try #require(record.exact.specificHeatPerSite)
        let model = try IsingModel(lattice: SquareLattice(rows: 8, cols: 8, boundary: .periodic))
        #expect(abs(exactC - 0.4 * 0.4 * Kaufman.energyVariance(model, beta: 0.4)! / 64) < 1e-12)
        #expect(abs(reference.meanEnergy - record.exact.meanEnergy!) < 4 * reference.meanEnergyMcse)
        #expect(abs(try #require(reference.specificHeatPerSite) - exactC) < 3 * (try #require(reference.specificHeatPerSiteSe)))
        #expect((reference.energyHistogram?.counts.reduce(0, +) ?? 0) > 1000)
        let c = try #require(record.samplers[0].metrics.referenceComparison)
        #expect(c.energy?.withinFloor == true && c.magnetization?.withinFloor == true, "\(c)")
        #expect(c.thinning > 1)
        let cMH = try #require(c.specificHeatPerSite), se = try #require(c.specificHeatPerSiteSe)
        #expect(abs(cMH - exactC) < 3 * se, "C/n \(cMH) ± \(se), exact \(exactC)")
        let report = MarkdownReport.render(record)
        #expect(report.contains("| energy histogram: TV to the reference |") && report.contains("| specific heat per site ± SE |"))
        #expect(report.contains("consistent with the reference."))
    }

    /// A 6×6 ±J glass at β = 1 (2^36 states, no closed form, no cluster algorithm): parallel
    /// tempering is the reference — its method and exchange rates in the record, its histograms
    /// what MH is compared with — and MH, which mixes at this temperature, is consistent with it
    /// on both histograms (the rule calls a correct sample "measurably different" 0.75% of the
    /// time per histogram, measured in HistogramComparisonTests; fixed seed).
    @Test func spinGlassesAreJudgedAgainstParallelTempering() throws {
        var s = Self.settings(beta: 1)
        s.energy = .ea(rows: 6, cols: 6, boundary: .periodic, gaussian: false, coupling: 1, instanceSeed: 1)
        s.schedule = ChainSchedule(chains: 2, burnInSweeps: 200, samplesPerChain: 10_000, thinSweeps: 1)
        let record = try ComparisonRun.run(s, command: "test")
        let reference = try #require(record.exact.referenceEstimate)
        #expect(reference.method.contains("parallel tempering") && reference.method.contains("exchange acceptance"), "\(reference.method)")
        #expect(record.exact.couplings?.count == 72 && record.exact.logZ == nil)
        let c = try #require(record.samplers[0].metrics.referenceComparison)
        #expect(c.energy?.withinFloor == true && c.magnetization?.withinFloor == true, "\(c)")
        #expect(MarkdownReport.render(record).contains("| energy histogram: TV to the reference |"))
    }

    /// The planted fault that runs the chains at 0.9·β is caught by the histogram rule.
    @Test func chainsAtTheWrongTemperatureAreCaught() throws {
        var s = Self.settings()
        s.fault = .mhBeta
        let record = try ComparisonRun.run(s, command: "test")
        let c = try #require(record.samplers[0].metrics.referenceComparison)
        #expect(c.energy?.withinFloor == false, "\(c)")
        #expect(MarkdownReport.render(record).contains("measurably different from the reference"))
    }

    /// A briefly trained GFlowNet on 8×8 (fixed order): the ELBO from its own draws and the EUBO
    /// from the Wolff reference's states bracket Kaufman's exact log Z (each within 3 of its
    /// standard errors of the side it bounds: both are bounds in expectation), the
    /// importance-weighted ⟨E⟩ is reported, and the report shows the EUBO row.
    @Test func elboAndEuboBracketTheExactLogZ() throws {
        var s = Self.settings()
        var g = GFlowNetSettings()
        g.hidden = 32; g.batch = 32; g.iterations = 150; g.blasThreads = 1; g.head = .perStep; g.layers = 1
        s.gfn = g; s.gfnSamples = 2000
        s.schedule = ChainSchedule(chains: 2, burnInSweeps: 100, samplesPerChain: 2000)
        let record = try ComparisonRun.run(s, command: "test")
        let logZ = try #require(record.exact.logZ)
        let m = try #require(record.samplers.first { $0.name == "gfn" }?.metrics)
        let elbo = try #require(m.logZElbo), elboSe = try #require(m.logZElboSe)
        let eubo = try #require(m.logZEubo), euboSe = try #require(m.logZEuboSe)
        #expect(elbo - 3 * elboSe < logZ && logZ < eubo + 3 * euboSe, "ELBO \(elbo) ± \(elboSe), log Z \(logZ), EUBO \(eubo) ± \(euboSe)")
        #expect(m.importanceWeighted != nil)
        #expect(MarkdownReport.render(record).contains("| EUBO (upper bound on log Z, from the reference's states) ± MCSE |"))
        let again = try ComparisonRun.run(s, command: "test")
        #expect(again.samplers.first { $0.name == "gfn" }?.metrics.logZEubo == eubo)
    }

    /// Self-normalised importance weighting: equal weights give the plain means and SE sd/√N;
    /// one dominant weight gives that draw's values and an ESS near 1.
    @Test func importanceWeightedEstimates() throws {
        let energies = [1.0, 2, 3, 4], mags = [4.0, -4, 2, -2]
        let equal = try #require(SampleAnalysis.importanceWeighted(logWeights: [0, 0, 0, 0], energies: energies, magnetizations: mags, variables: 4))
        #expect(abs(equal.meanEnergy - 2.5) < 1e-12 && abs(equal.ess - 4) < 1e-12)
        #expect(abs(equal.meanEnergySe - (1.25 / 4).squareRoot()) < 1e-12)  // population sd over √N
        #expect(abs(equal.positiveMass - 0.5) < 1e-12 && abs(equal.meanAbsMagnetizationPerSite - 0.75) < 1e-12)
        let dominated = try #require(SampleAnalysis.importanceWeighted(logWeights: [50, 0, 0, 0], energies: energies, magnetizations: mags, variables: 4))
        #expect(abs(dominated.meanEnergy - 1) < 1e-9 && dominated.ess < 1.001 && abs(dominated.positiveMass - 1) < 1e-9)
    }
}
