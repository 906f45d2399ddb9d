import Foundation
import Reporting
import Testing

/// The study's rules on cells whose answer is set by hand.
@Suite struct StudyTests {
    func cell(_ lattice: String, sites: Int, beta: Double, budget: Double, mh: String, gfn: String, decision: String,
                     mhWall: Double = 1, gfnWall: Double = 10) -> StudyCell {
        StudyCell(lattice: lattice, sites: sites, beta: beta, budget: budget,
                  samplers: ["mh": StudySampler(verdict: mh, excess: mh == "consistent" ? 0.5 : 9, wallSeconds: mhWall, energyWork: budget, workPerEffectiveDraw: Double(sites) * 10),
                             "gfn": StudySampler(verdict: gfn, excess: gfn == "consistent" ? 0.2 : 12, wallSeconds: gfnWall, energyWork: budget / 2)],
                  decisions: ["gfn": decision])
    }

    /// MH better at every budget on every configuration: the conclusion names MH and no break-even.
    @Test func mhWinsEverywhere() {
        let cells = [1e6, 4e6].flatMap { b in [0.3, 0.6].map { cell("4x4", sites: 16, beta: $0, budget: b, mh: "consistent", gfn: "off", decision: "mh-better") } }
        let text = Study.conclusion(cells).joined(separator: " ")
        #expect(text.contains("the GFlowNet never matches MH: MH is the better sampler on every configuration tried"), "\(text)")
        #expect(!text.contains("reaches MH's quality on"))
        #expect(Study.report(name: "t", cells: cells, notes: []).contains("| 4x4 | never ≤ 4000000 | never ≤ 4000000 |"))
    }

    /// A planted advantage: where MH's draws are refused a verdict (stuck chains) and the GFlowNet's
    /// are consistent from the second budget on, the GFlowNet wins there and its break-even is that budget.
    @Test func aPlantedAdvantageIsFound() {
        let cells = [cell("8x8", sites: 64, beta: 0.6, budget: 1e6, mh: "no-verdict", gfn: "off", decision: "no-verdict"),
                     cell("8x8", sites: 64, beta: 0.6, budget: 4e6, mh: "no-verdict", gfn: "consistent", decision: "no-verdict", gfnWall: 12),
                     cell("8x8", sites: 64, beta: 0.3, budget: 1e6, mh: "consistent", gfn: "off", decision: "mh-better"),
                     cell("8x8", sites: 64, beta: 0.3, budget: 4e6, mh: "consistent", gfn: "off", decision: "mh-better")]
        let text = Study.conclusion(cells).joined(separator: " ")
        #expect(text.contains("the GFlowNet is the better sampler on 8x8 at β = 0.6"), "\(text)")
        #expect(text.contains("The GFlowNet loses to MH on 8x8 at β = 0.3"), "\(text)")
        #expect(text.contains("It reaches MH's quality on 8x8 at β = 0.6 from 4000000 units"), "\(text)")
        #expect(Study.breakEven("gfn", cells.filter { $0.beta == 0.6 })?.budget == 4e6)
        #expect(Study.report(name: "t", cells: cells, notes: ["a note"]).contains("| 8x8 | never ≤ 4000000 | 4000000 (12 s vs MH 1 s) |"))
    }

    /// Where both are consistent and the rule finds no difference, the conclusion says so; where
    /// neither can be judged, it says the draws support no call.
    @Test func overlappingCurvesAreNoMeasurableDifference() {
        let cells = [cell("6x6", sites: 36, beta: 0.3, budget: 1e6, mh: "consistent", gfn: "consistent", decision: "no-measurable-difference"),
                     cell("6x6", sites: 36, beta: 0.6, budget: 1e6, mh: "no-verdict", gfn: "off", decision: "no-verdict")]
        let text = Study.conclusion(cells).joined(separator: " ")
        #expect(text.contains("On 6x6 at β = 0.3 there is no measurable difference between the GFlowNet and MH"), "\(text)")
        #expect(text.contains("On 6x6 at β = 0.6 the draws support no call"), "\(text)")
        #expect(Study.reaches("gfn", in: cells[0]) && !Study.reaches("gfn", in: cells[1]))
    }

    /// Where MH's draws are refused a verdict everywhere and the GFlowNet's are off, the conclusion
    /// says the draws support no call, naming no empty list of MH's wins.
    @Test func noCallAnywhereIsSaidWithoutAnEmptyList() {
        let cells = [cell("4x4", sites: 16, beta: 2, budget: 1e6, mh: "no-verdict", gfn: "off", decision: "no-verdict"),
                     cell("6x6", sites: 36, beta: 2, budget: 1e6, mh: "no-verdict", gfn: "off", decision: "no-verdict")]
        let text = Study.conclusion(cells).joined(separator: " ")
        #expect(text.contains("the GFlowNet never matches MH: the draws support no call on every configuration tried."), "\(text)")
        #expect(!text.contains("MH is the better sampler") && !text.contains(" on ,"), "\(text)")
    }

    /// The exponent fit recovers an exact power law (SE 0) and refuses two points.
    @Test func powerLawFit() throws {
        let fit = try #require(Study.powerLaw([(16, 512), (36, 2592), (64, 8192)]))
        #expect(abs(fit.exponent - 2) < 1e-12 && fit.se < 1e-9)
        #expect(Study.powerLaw([(1, 1), (2, 2)]) == nil)
    }
}
