import Foundation
import GFNCore
import NeuralNet
import Settings
import Testing

@Suite struct MLPTests {
    /// Every analytic derivative equals the central finite difference of `loss` (step 1e-6, in
    /// Double: truncation and rounding stay below 1e-6 relative).
    static func expectFiniteDifferences(_ params: [Double], _ grad: [Double], _ loss: ([Double]) -> Double) {
        var p = params
        let h = 1e-6
        for i in p.indices {
            let keep = p[i]
            p[i] = keep + h; let up = loss(p)
            p[i] = keep - h; let down = loss(p)
            p[i] = keep
            let fd = (up - down) / (2 * h)
            #expect(abs(fd - grad[i]) <= 1e-6 * max(1, abs(fd)), "parameter \(i): \(grad[i]) vs \(fd)")
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        let activation: Activation
        let hidden: [Int]
        let rows: Int
        var description: String { "\(activation.rawValue) \(hidden) × \(rows) rows" }
    }
    /// Every activation; and more rows than one backward block (256), with a partial last block
    /// and three hidden layers, so the block buffers alternate.
    static let cases = Activation.allCases.map { Case(activation: $0, hidden: [4, 5], rows: 3) }
        + [Case(activation: .relu, hidden: [4, 5, 3], rows: 600), Case(activation: .tanh, hidden: [4, 5, 3], rows: 600)]

    /// The backward pass matches central finite differences of L = Σ c ⊙ output, in Double.
    @Test(arguments: cases) func gradientMatchesFiniteDifferences(_ c: Case) {
        let shape = MLPShape(input: 3, hidden: c.hidden, output: 2, activation: c.activation)
        let net = MLP<Double>(shape: shape)
        let rng = RandomStream(seed: 4)
        let params = net.initialParameters(rng: rng)
        let rows = c.rows
        let ws = MLPWorkspace<Double>(shape: shape, capacity: rows)
        let input = (0..<(rows * 3)).map { _ in rng.gaussian() }
        let weights = (0..<(rows * 2)).map { _ in rng.gaussian() }
        func loss(_ p: [Double]) -> Double {
            for i in 0..<input.count { ws.activations[0][i] = input[i] }
            let out = p.withUnsafeBufferPointer { net.forward(parameters: $0.baseAddress!, workspace: ws, start: 0, rows: rows) }
            return (0..<(rows * 2)).reduce(0) { $0 + weights[$1] * out[$1] }
        }
        _ = loss(params)
        for i in 0..<weights.count { ws.outputGradient[i] = weights[i] }
        var grad = [Double](repeating: 0, count: params.count)
        params.withUnsafeBufferPointer { p in grad.withUnsafeMutableBufferPointer { net.backward(parameters: p.baseAddress!, workspace: ws, rows: rows, gradient: $0.baseAddress!) } }
        Self.expectFiniteDifferences(params, grad, loss)
    }

    /// Output groups: a forward call with group g equals a one-group MLP made of the shared
    /// layers and block g; the backward pass over rows of several groups (rowsPerGroup) matches
    /// finite differences for every parameter, the blocks of unused groups included (zero).
    @Test func outputGroupsMatchOneGroupNetworksAndFiniteDifferences() {
        let groups = 3, rowsPerGroup = 2, rows = 4  // groups 0 and 1 are used, group 2 is not
        let shape = MLPShape(input: 3, hidden: [4], output: 2, activation: .tanh, outputGroups: groups)
        let net = MLP<Double>(shape: shape)
        #expect(shape.parameterCount == 3 * 4 + 4 + groups * (4 * 2 + 2))
        let rng = RandomStream(seed: 6)
        let params = net.initialParameters(rng: rng)
        let ws = MLPWorkspace<Double>(shape: shape, capacity: rows)
        let input = (0..<(rows * 3)).map { _ in rng.gaussian() }
        let weights = (0..<(rows * 2)).map { _ in rng.gaussian() }
        func loss(_ p: [Double]) -> Double {
            for i in 0..<input.count { ws.activations[0][i] = input[i] }
            var total = 0.0
            p.withUnsafeBufferPointer { buf in
                for g in 0..<(rows / rowsPerGroup) {
                    let out = net.forward(parameters: buf.baseAddress!, workspace: ws, start: g * rowsPerGroup, rows: rowsPerGroup, group: g)
                    for j in 0..<(rowsPerGroup * 2) { total += weights[g * rowsPerGroup * 2 + j] * out[j] }
                }
            }
            return total
        }
        // Group g alone: the shared layer's parameters, then block g's weights and biases.
        let single = MLP<Double>(shape: MLPShape(input: 3, hidden: [4], output: 2, activation: .tanh))
        let singleWS = MLPWorkspace<Double>(shape: single.shape, capacity: rows)
        for g in 0..<groups {
            let blockParams = Array(params[0..<16]) + Array(params[(16 + g * 8)..<(16 + g * 8 + 8)])
                + Array(params[(16 + groups * 8 + g * 2)..<(16 + groups * 8 + g * 2 + 2)])
            for i in 0..<input.count { ws.activations[0][i] = input[i]; singleWS.activations[0][i] = input[i] }
            let a = params.withUnsafeBufferPointer { net.forward(parameters: $0.baseAddress!, workspace: ws, start: 0, rows: rows, group: g) }
            let b = blockParams.withUnsafeBufferPointer { single.forward(parameters: $0.baseAddress!, workspace: singleWS, start: 0, rows: rows) }
            for j in 0..<(rows * 2) { #expect(a[j] == b[j], "group \(g), output \(j)") }
        }
        _ = loss(params)
        for i in 0..<weights.count { ws.outputGradient[i] = weights[i] }
        var grad = [Double](repeating: 0, count: params.count)
        params.withUnsafeBufferPointer { p in
            grad.withUnsafeMutableBufferPointer { _ = net.backward(parameters: p.baseAddress!, workspace: ws, rows: rows, gradient: $0.baseAddress!, rowsPerGroup: rowsPerGroup) }
        }
        Self.expectFiniteDifferences(params, grad, loss)
        // Group 2's block had no rows: its gradient is exactly zero.
        for i in (16 + 2 * 8)..<(16 + 3 * 8) { #expect(grad[i] == 0) }
        // A one-group shape is written as before groups existed (no key), and read back.
        let json = String(decoding: try! JSONEncoder().encode(MLPShape(input: 3, hidden: [4], output: 2, activation: .tanh)), as: UTF8.self)
        #expect(!json.contains("outputGroups"))
        #expect(try! JSONDecoder().decode(MLPShape.self, from: Data(json.utf8)).outputGroups == 1)
        #expect(try! JSONDecoder().decode(MLPShape.self, from: JSONEncoder().encode(shape)) == shape)
    }

    /// The structured first layer: pre-activations built one weight column at a time give the
    /// dense forward pass, and dL/dW₀ accumulated from the returned dL/dz₀ (Σ_rows dz₀ᵀ·x) equals
    /// the dense backward's, with every other gradient unchanged. Float, as the trainer runs it.
    @Test func firstLayerByColumnsMatchesTheDensePass() {
        let shape = MLPShape(input: 6, hidden: [8, 8], output: 3, activation: .relu)
        let net = MLP<Float>(shape: shape)
        let rng = RandomStream(seed: 11)
        let params = net.initialParameters(rng: rng)
        let rows = 300
        // Binary inputs, as a one-hot encoding has.
        let input = (0..<(rows * 6)).map { _ in Float(rng.integer(below: 2)) }
        let outputGradient = (0..<(rows * 3)).map { _ in Float(rng.gaussian()) }
        let dense = MLPWorkspace<Float>(shape: shape, capacity: rows), byColumns = MLPWorkspace<Float>(shape: shape, capacity: rows)
        var denseGradient = [Float](repeating: 0, count: params.count), columnGradient = denseGradient
        var columns = [Float](repeating: 0, count: 6 * 8)
        params.withUnsafeBufferPointer { p in
            let p = p.baseAddress!
            for i in input.indices { dense.activations[0][i] = input[i] }
            let denseOut = net.forward(parameters: p, workspace: dense, start: 0, rows: rows)
            columns.withUnsafeMutableBufferPointer { net.firstLayerColumns(parameters: p, into: $0.baseAddress!) }
            for r in 0..<rows {
                let z = byColumns.firstPreActivations + r * 8
                for j in 0..<8 { z[j] = p[net.biasOffsets[0] + j] }
                for i in 0..<6 where input[r * 6 + i] == 1 { for j in 0..<8 { z[j] += columns[i * 8 + j] } }
            }
            let columnOut = net.forward(parameters: p, workspace: byColumns, start: 0, rows: rows, firstPreActivations: byColumns.firstPreActivations)
            for i in 0..<(rows * 3) { #expect(abs(denseOut[i] - columnOut[i]) <= 1e-5 * max(1, abs(denseOut[i]))) }
            for i in outputGradient.indices { dense.outputGradient[i] = outputGradient[i]; byColumns.outputGradient[i] = outputGradient[i] }
            denseGradient.withUnsafeMutableBufferPointer { _ = net.backward(parameters: p, workspace: dense, rows: rows, gradient: $0.baseAddress!) }
            columnGradient.withUnsafeMutableBufferPointer { g in
                let dz0 = net.backward(parameters: p, workspace: byColumns, rows: rows, gradient: g.baseAddress!, firstLayerWeights: false)
                var perColumn = [Float](repeating: 0, count: 6 * 8)
                for r in 0..<rows { for i in 0..<6 where input[r * 6 + i] == 1 { for j in 0..<8 { perColumn[i * 8 + j] += dz0[r * 8 + j] } } }
                perColumn.withUnsafeBufferPointer { net.addFirstLayerColumnGradient($0.baseAddress!, to: g.baseAddress!) }
            }
        }
        for i in params.indices {
            #expect(abs(denseGradient[i] - columnGradient[i]) <= 1e-4 * max(1, abs(denseGradient[i])), "parameter \(i)")
        }
    }

    /// Given first-layer pre-activations are activated by the next product, each block of rows
    /// by the thread that multiplies it (PendingActivation). On 1–3 threads, fp32 and bf16
    /// products, 520 rows (a row split with a remainder block; 520 × 256 × 256 multiply-adds is
    /// over the split's threshold) and 40 rows (a column-panel split): the activations are σ(z₀)
    /// exactly, rows at the parts' edges included, and the outputs have the same bits on every
    /// thread count (one thread activates every row before the product, as the separate pass did).
    @Test(arguments: [ProductPrecision.fp32, .bf16]) func givenPreActivationsAreActivatedByTheProductsThreads(_ precision: ProductPrecision) {
        if precision == .bf16 && !BF16Products.isSupported { return }
        let shape = MLPShape(input: 30, hidden: [256, 256], output: 37, activation: .leakyRelu)
        let net = MLP<Float>(shape: shape, precision: precision)
        let rng = RandomStream(seed: 21)
        let params = net.initialParameters(rng: rng)
        let saved = BLASThreads.current
        defer { BLASThreads.set(saved) }
        for rows in [520, 40] {
            let z0 = (0..<(rows * 256)).map { _ in Float(rng.gaussian()) }
            var outputs: [[UInt32]] = []
            for threads in 1...3 {
                BLASThreads.set(threads)
                let ws = MLPWorkspace<Float>(shape: shape, capacity: rows)
                for i in z0.indices { ws.firstPreActivations[i] = z0[i] }
                let out = params.withUnsafeBufferPointer {
                    net.forward(parameters: $0.baseAddress!, workspace: ws, start: 0, rows: rows, firstPreActivations: ws.firstPreActivations)
                }
                let activated = (0..<(rows * 256)).filter { ws.activations[1][$0].bitPattern != (z0[$0] > 0 ? z0[$0] : 0.01 * z0[$0]).bitPattern }
                #expect(activated.isEmpty, "\(rows) rows, \(threads) threads: first differing activation \(activated.first ?? -1)")
                outputs.append((0..<(rows * 37)).map { out[$0].bitPattern })
            }
            #expect(outputs[1] == outputs[0] && outputs[2] == outputs[0], "\(rows) rows, \(precision)")
        }
    }

    @Test func forwardOfOneRowMatchesAHandComputation() {
        // input 2 → hidden 2 (relu) → output 1, with chosen parameters.
        let shape = MLPShape(input: 2, hidden: [2], output: 1, activation: .relu)
        let net = MLP<Float>(shape: shape)
        // W0 = [[1, −1], [0.5, 2]], b0 = [0, −1], W1 = [[2, 3]], b1 = [0.5]
        let params: [Float] = [1, -1, 0.5, 2, 0, -1, 2, 3, 0.5]
        let ws = MLPWorkspace<Float>(shape: shape, capacity: 1)
        ws.activations[0][0] = 1; ws.activations[0][1] = 2
        let out = params.withUnsafeBufferPointer { net.forward(parameters: $0.baseAddress!, workspace: ws, start: 0, rows: 1) }
        // h = relu([1 − 2, 0.5 + 4 − 1]) = [0, 3.5]; y = 2·0 + 3·3.5 + 0.5 = 11.
        #expect(out[0] == 11)
        #expect(shape.parameterCount == 9)
    }

    @Test func adamMovesAgainstTheGradientAndClippingBoundsTheNorm() {
        var adam = Adam<Double>(parameterCount: 2)
        var p = [1.0, -1.0]
        let g = [0.5, -2.0]
        p.withUnsafeMutableBufferPointer { pp in g.withUnsafeBufferPointer { adam.update(parameters: pp.baseAddress!, gradient: $0.baseAddress!, groups: [(0..<2, 0.1)]) } }
        // The first Adam step moves each coordinate by lr·sign(g) (up to ε).
        #expect(abs(p[0] - 0.9) < 1e-6 && abs(p[1] - -0.9) < 1e-6)
        var v = [3.0, 4.0]
        let norm = v.withUnsafeMutableBufferPointer { clipGradientNorm($0.baseAddress!, count: 2, maxNorm: 1) }
        #expect(norm == 5)
        #expect(abs(v[0] - 0.6) < 1e-12 && abs(v[1] - 0.8) < 1e-12)
    }

    /// The vectorized Adam step (CKernels' gfn_adam) gives the bits of the scalar loop it
    /// replaced, in Float and Double, over several steps and two groups with their own rates, on a
    /// count off every vector width; and it reports a non-finite parameter (inf, NaN) wherever it is.
    @Test func adamStepKeepsTheScalarLoopsBits() {
        func check<T: BLASScalar>(_: T.Type) {
            let rng = RandomStream(seed: 21)
            let count = 1_003
            var p = (0..<count).map { _ in T(rng.gaussian()) }, reference = p
            var m = [T](repeating: 0, count: count), v = m
            var adam = Adam<T>(parameterCount: count)
            let groups: [(range: Range<Int>, rate: Double)] = [(0..<700, 1e-3), (700..<count, 0.1)]
            for step in 1...3 {
                let g = (0..<count).map { _ in T(rng.gaussian() * 3) }
                let finite = p.withUnsafeMutableBufferPointer { pp in g.withUnsafeBufferPointer { adam.update(parameters: pp.baseAddress!, gradient: $0.baseAddress!, groups: groups) } }
                #expect(finite)
                // The loop Adam.update ran before the kernel, operation for operation.
                let b1 = T(adam.beta1), b2 = T(adam.beta2), eps = T(adam.epsilon)
                let c1 = 1 - Foundation.pow(adam.beta1, Double(step)), c2 = 1 - Foundation.pow(adam.beta2, Double(step))
                for (range, rate) in groups {
                    let alpha = T(rate * c2.squareRoot() / c1), epsHat = eps * T(c2.squareRoot())
                    for i in range {
                        m[i] = b1 * m[i] + (1 - b1) * g[i]
                        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                        reference[i] -= alpha * m[i] / (v[i].squareRoot() + epsHat)
                    }
                }
                #expect(p.indices.first { p[$0] != reference[$0] } == nil, "\(T.self) step \(step): first parameter that differs")
            }
            for bad in [T.infinity, -T.infinity, T.nan] {
                for at in [0, 517, count - 1] {
                    var q = p, g = [T](repeating: 0, count: count)
                    q[at] = bad
                    var fresh = Adam<T>(parameterCount: count)
                    let finite = q.withUnsafeMutableBufferPointer { qq in g.withUnsafeBufferPointer { fresh.update(parameters: qq.baseAddress!, gradient: $0.baseAddress!, groups: groups) } }
                    #expect(!finite, "\(T.self): \(bad) at \(at) not reported")
                    g[at] = .nan
                    q[at] = 1
                    var again = Adam<T>(parameterCount: count)
                    #expect(!q.withUnsafeMutableBufferPointer { qq in g.withUnsafeBufferPointer { again.update(parameters: qq.baseAddress!, gradient: $0.baseAddress!, groups: groups) } },
                            "\(T.self): a NaN gradient at \(at) not reported")
                }
            }
        }
        check(Float.self)
        check(Double.self)
    }
}
