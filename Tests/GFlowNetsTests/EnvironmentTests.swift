import Energies
import GFlowNets
import GFNCore
import Settings
import Testing

@Suite struct EnvironmentTests {
    /// The contract the structured first layer relies on: s₀ encodes to zeros, and every action
    /// along random trajectories switches exactly the input `addedInput` names from 0 to 1,
    /// changing nothing else (both orders, q = 2 and q = 3).
    @Test(arguments: [(ConstructionOrder.fixed, 2), (.any, 2), (.fixed, 3), (.any, 3)])
    func setVariableEncodingIsAdditiveOneHot(_ order: ConstructionOrder, _ q: Int) throws {
        let energy = try PottsModel(lattice: SquareLattice(rows: 2, cols: 3, boundary: .periodic), q: q)
        let env = SetVariableEnvironment(energy: energy, beta: 0.5, order: order)
        #expect(env.hasAdditiveEncoding)
        let rng = RandomStream(seed: 21)
        let s = UnsafeMutablePointer<Int32>.allocate(capacity: env.stateSize)
        let mask = UnsafeMutablePointer<Bool>.allocate(capacity: env.forwardActionCount)
        defer { s.deallocate(); mask.deallocate() }
        var before = [Double](repeating: 0, count: env.encodingWidth), after = before
        for _ in 0..<50 {
            env.writeInitialState(s)
            before.withUnsafeMutableBufferPointer { env.encode(UnsafePointer(s), into: $0.baseAddress!) }
            #expect(before.allSatisfy { $0 == 0 })
            var step = 0, done = false
            while !done {
                env.forwardMask(UnsafePointer(s), step: step, into: mask)
                let valid = (0..<env.forwardActionCount).filter { mask[$0] }
                let a = valid[rng.integer(below: valid.count)]
                let added = env.addedInput(byAction: a, step: step, from: UnsafePointer(s))
                done = env.apply(a, to: s, step: step)
                after.withUnsafeMutableBufferPointer { env.encode(UnsafePointer(s), into: $0.baseAddress!) }
                for i in 0..<env.encodingWidth {
                    #expect(after[i] - before[i] == (i == added ? 1 : 0), "step \(step), input \(i)")
                }
                before = after
                step += 1
            }
        }
    }
}
