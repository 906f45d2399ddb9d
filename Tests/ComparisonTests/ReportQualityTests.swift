import Comparison
import Energies
import Exact
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GFNCore
import MCMC
import Metrics
import Reporting
import Settings
import Testing
import TestSupport

@Suite struct ReportQualityTests {
    /// MH targeting 0.9·β is flagged by the chi-square test and sits outside the noise floor on
    /// 3×3 Ising at β = 0.5, while the correct sampler is not flagged (fixed seeds; chi-square at
    /// level 1e-3; the floor is mean + 2 sd of 20 exact replicates).
    @Test func aBiasedSamplerIsFlaggedAndTheCorrectOneIsNot() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        let reference = try ExactReference.compute(model, beta: 0.5)
        let schedule = ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 50_000, thinSweeps: 1)
        func analyse(_ beta: Double) throws -> SamplerMetrics {
            let traces = try ChainRunner.run(kernel: MetropolisKernel(energy: model, beta: beta), schedule: schedule, seed: 4)
            return SampleAnalysis.metrics(model: model, beta: 0.5, draws: DrawSet(traces: traces), reference: reference, seed: 4, floorStream: 1 << 33)
        }
        let good = try analyse(0.5), biased = try analyse(0.45)
        #expect(try #require(good.chiSquare).pValue > 1e-3)
        #expect(try #require(biased.chiSquare).pValue < 1e-6)
        #expect(good.withinNoiseFloor == true, "TV \(good.tv!) floor \(good.noiseFloor!.mean.tv) ± \(good.noiseFloor!.sd.tv)")
        #expect(biased.withinNoiseFloor == false)
        #expect(good.warnings.isEmpty, "\(good.warnings)")
    }

    @Test func modeCollapseIsReportedInWords() {
        let w = SampleAnalysis.modeWarnings(sampler: ModeMassRecord(positive: 1, zero: 0, negative: 0),
                                            exact: ModeMassRecord(positive: 0.49, zero: 0.02, negative: 0.49), what: "its samples")
        #expect(w.count == 1 && w[0].contains("Mode collapse") && w[0].contains("m < 0"))
        #expect(SampleAnalysis.modeWarnings(sampler: ModeMassRecord(positive: 0.5, zero: 0, negative: 0.5),
                                            exact: ModeMassRecord(positive: 0.49, zero: 0.02, negative: 0.49), what: "x").isEmpty)
    }

    /// Every plot is well-formed XML.
    @Test func plotsAreWellFormedXML() throws {
        TestSupport.singleThreadedBLAS()
        var s = ComparisonRunTests.settings(seed: 2, gfn: true)
        s.gfnSamples = 2000
        let record = try ComparisonRun.run(s, command: "x")
        let plots = ReportPlots.render(record)
        #expect(plots.count == 6)
        for (name, svg) in plots {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(name) is not well-formed: \(String(describing: parser.parserError))")
        }
        #expect(MarkdownReport.render(record).contains("![tv-vs-evaluations.svg](tv-vs-evaluations.svg)"))
    }
}
