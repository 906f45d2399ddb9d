import Comparison
import Energies
import Exact
import Foundation
import GFNCore
import Reporting
import Settings
import Testing

/// The energy catalogue: one entry per energy, and the record's description of an energy is
/// enough to rebuild it (what `reproduce` relies on).
@Suite struct EnergyCatalogueTests {
    static let specs: [EnergySpec] = [
        .ising(rows: 3, cols: 4, boundary: .open, coupling: 0.5, field: 0.1),
        .potts(rows: 2, cols: 3, boundary: .periodic, q: 4, coupling: 1, field: 0),
        .ea(rows: 4, cols: 4, boundary: .periodic, gaussian: true, coupling: 2, instanceSeed: 7),
        .sk(spins: 10, instanceSeed: 3),
        .hypergrid(dims: 3, side: 5, r0: 0.2, r1: 0.5, r2: 2),
    ]

    @Test(arguments: specs) func aRecordedEnergyRebuildsTheSameSpec(_ spec: EnergySpec) throws {
        let config = spec.config(beta: 0.7, variables: 12)
        #expect(config.name == spec.entry.recordName && config.convention == spec.entry.convention)
        #expect(try EnergySpec(record: config) == spec)
    }

    @Test func entriesAreNamedOnceWithTheirDefaults() throws {
        let names = EnergyCatalogue.names
        #expect(Set(names).count == names.count && names == ["ising", "potts", "ea", "sk", "hypergrid", "file:PATH"])
        #expect(EnergyCatalogue.entry(named: "file:examples/frustrated-ring.txt")?.recordName == "file")
        #expect(EnergyCatalogue.entry(named: "xy") == nil)
        #expect(EnergyCatalogue.hypergrid.defaultBeta == 1 && EnergyCatalogue.hypergrid.defaultKernel == .gridStep && !EnergyCatalogue.hypergrid.setsOneVariablePerStep)
        #expect(EnergyCatalogue.entries.filter { $0.name != "hypergrid" }.allSatisfy { $0.defaultBeta == defaultBeta && $0.defaultKernel == .metropolis })
        var unknown = EnergySpec.ising(rows: 2, cols: 2, boundary: .open, coupling: 1, field: 0).config(beta: 1, variables: 4)
        unknown.name = "xy"
        #expect(throws: GFNError.self) { try EnergySpec(record: unknown) }
    }
}
