import GFNCore
import NeuralNet
import Testing

@Suite struct MLPTests {
    /// The backward pass matches central finite differences of L = Σ c ⊙ output, in Double.
    @Test(arguments: Activation.allCases) func gradientMatchesFiniteDifferences(_ activation: Activation) {
        let shape = MLPShape(input: 3, hidden: [4, 5], output: 2, activation: activation)
        let net = MLP<Double>(shape: shape)
        let rng = RandomStream(seed: 4)
        var params = net.initialParameters(rng: rng)
        let rows = 3
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
        let h = 1e-6
        for i in params.indices {
            let keep = params[i]
            params[i] = keep + h; let up = loss(params)
            params[i] = keep - h; let down = loss(params)
            params[i] = keep
            let fd = (up - down) / (2 * h)
            #expect(abs(fd - grad[i]) <= 1e-6 * max(1, abs(fd)), "parameter \(i): \(grad[i]) vs \(fd)")
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
}
