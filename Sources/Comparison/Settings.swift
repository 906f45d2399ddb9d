import Energies
import Foundation
import GFNCore
import MCMC

/// The energy a run samples from.
public enum EnergySpec: Sendable, Equatable {
    case ising(rows: Int, cols: Int, boundary: Boundary, coupling: Double, field: Double)

    public static let names = ["ising"]
}

/// Everything that determines a comparison run's results.
public struct RunSettings: Sendable, Equatable {
    public var energy: EnergySpec
    public var beta: Double
    public var seed: UInt64
    public var rng: RandomAlgorithm
    public var kernel: KernelKind
    public var schedule: ChainSchedule

    public init(energy: EnergySpec, beta: Double, seed: UInt64, rng: RandomAlgorithm = .taus2,
                kernel: KernelKind = .metropolis, schedule: ChainSchedule = ChainSchedule()) {
        self.energy = energy; self.beta = beta; self.seed = seed; self.rng = rng
        self.kernel = kernel; self.schedule = schedule
    }

    /// - Throws: ``GFNError/invalidInput(_:)`` naming the first value out of range.
    public func validate() throws {
        guard beta.isFinite, beta >= 0 else {
            throw GFNError.invalidInput("--beta must be a finite number ≥ 0 (got \(beta))")
        }
        guard beta <= 1e6 else { throw GFNError.invalidInput("--beta \(beta) is out of range: at most 1e6") }
        let model = try makeIsingModel()
        switch kernel {
        case .metropolis: try ChainRunner.check(kernel: MetropolisKernel(energy: model, beta: beta), schedule: schedule)
        case .heatBath: try ChainRunner.check(kernel: HeatBathKernel(energy: model, beta: beta), schedule: schedule)
        }
    }

    func makeIsingModel() throws -> IsingModel {
        switch energy {
        case let .ising(rows, cols, boundary, coupling, field):
            return try IsingModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: boundary), coupling: coupling, field: field)
        }
    }
}
