import GFNCore

/// Hidden-layer nonlinearity.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case relu
    case leakyRelu = "leaky-relu"
    case tanh

    @inlinable func apply<T: BLASScalar>(_ z: T) -> T {
        switch self {
        case .relu: return z > 0 ? z : 0
        case .leakyRelu: return z > 0 ? z : z * T(0.01)
        case .tanh: return T.tanh(z)
        }
    }

    /// dσ/dz given z and σ(z).
    @inlinable func derivative<T: BLASScalar>(z: T, a: T) -> T {
        switch self {
        case .relu: return z > 0 ? 1 : 0
        case .leakyRelu: return z > 0 ? 1 : T(0.01)
        case .tanh: return 1 - a * a
        }
    }
}

/// The shape of a multilayer perceptron: input → hidden layers → output.
public struct MLPShape: Sendable, Codable, Equatable {
    public var input: Int
    public var hidden: [Int]
    public var output: Int
    public var activation: Activation

    public init(input: Int, hidden: [Int], output: Int, activation: Activation) {
        self.input = input; self.hidden = hidden; self.output = output; self.activation = activation
    }

    /// Layer widths [input, h₁, …, output].
    public var widths: [Int] { [input] + hidden + [output] }

    /// Number of weights and biases.
    public var parameterCount: Int {
        let w = widths
        return (0..<(w.count - 1)).reduce(0) { $0 + w[$1] * w[$1 + 1] + w[$1 + 1] }
    }

    /// Multiply-adds of one forward pass of one row (×2 for FLOPs).
    public var multiplyAddsPerRow: Int {
        let w = widths
        return (0..<(w.count - 1)).reduce(0) { $0 + w[$1] * w[$1 + 1] }
    }
}

/// A multilayer perceptron over a flat parameter vector, evaluated on batches of rows through
/// CBLAS: layer ℓ computes z = a·Wᵀ + b (W is out × in, row-major), then a = σ(z) on hidden layers;
/// the output layer is linear.
///
/// The network holds no per-batch state: activations live in an ``MLPWorkspace``, so one
/// workspace can keep the activations of many forward calls (rows) for a single backward pass.
public struct MLP<T: BLASScalar>: Sendable {
    public let shape: MLPShape
    /// Offsets of W_ℓ and b_ℓ in the parameter vector.
    public let weightOffsets: [Int]
    public let biasOffsets: [Int]

    public init(shape: MLPShape) {
        self.shape = shape
        let w = shape.widths
        var wo: [Int] = [], bo: [Int] = [], off = 0
        for l in 0..<(w.count - 1) {
            wo.append(off); off += w[l] * w[l + 1]
            bo.append(off); off += w[l + 1]
        }
        weightOffsets = wo; biasOffsets = bo
    }

    public var layerCount: Int { shape.widths.count - 1 }

    /// PyTorch's default `Linear` initialisation, U(−1/√fan_in, 1/√fan_in) for weights and
    /// biases, drawn from `rng`; the output layer is scaled by `outputScale` (a small value starts
    /// the policy near uniform).
    public func initialParameters(rng: RandomStream, outputScale: Double = 1) -> [T] {
        var p = [T](repeating: 0, count: shape.parameterCount)
        let w = shape.widths
        for l in 0..<layerCount {
            let bound = 1 / Double(w[l]).squareRoot() * (l == layerCount - 1 ? outputScale : 1)
            for i in 0..<(w[l] * w[l + 1]) { p[weightOffsets[l] + i] = T((2 * rng.uniform() - 1) * bound) }
            for i in 0..<w[l + 1] { p[biasOffsets[l] + i] = T((2 * rng.uniform() - 1) * bound) }
        }
        return p
    }

    /// Forward pass of `rows` rows starting at row `start` of the workspace: reads the input
    /// block (which the caller filled), writes every layer's activations, and returns a pointer
    /// to the first output row (row-major, `shape.output` columns).
    @discardableResult
    public func forward(parameters: UnsafePointer<T>, workspace ws: MLPWorkspace<T>, start: Int, rows: Int) -> UnsafeMutablePointer<T> {
        let w = shape.widths
        for l in 0..<layerCount {
            let a = ws.activations[l] + start * w[l]
            let z = ws.preActivations[l] + start * w[l + 1]
            // z = b (broadcast), then z += a·Wᵀ.
            let b = parameters + biasOffsets[l]
            for r in 0..<rows {
                let zr = z + r * w[l + 1]
                for j in 0..<w[l + 1] { zr[j] = b[j] }
            }
            T.gemm(transA: false, transB: true, m: rows, n: w[l + 1], k: w[l], alpha: 1,
                   a: a, lda: w[l], b: parameters + weightOffsets[l], ldb: w[l], beta: 1, c: z, ldc: w[l + 1])
            let out = ws.activations[l + 1] + start * w[l + 1]
            let count = rows * w[l + 1]
            if l == layerCount - 1 {
                if out != z { out.update(from: z, count: count) }
            } else {
                let act = shape.activation
                for i in 0..<count { out[i] = act.apply(z[i]) }
            }
        }
        return ws.activations[layerCount] + start * shape.output
    }

    /// Backward pass over rows 0..<rows of the workspace, given dL/d(output) in
    /// `ws.outputGradient`: adds dL/dθ into `gradient` (which the caller zeroes per step).
    public func backward(parameters: UnsafePointer<T>, workspace ws: MLPWorkspace<T>, rows: Int, gradient: UnsafeMutablePointer<T>) {
        let w = shape.widths
        // delta holds dL/dz of the current layer; start with the output layer (linear).
        var delta = ws.outputGradient
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let a = ws.activations[l]
            // dW += deltaᵀ·a   (out × in);   db += Σ_rows delta
            T.gemm(transA: true, transB: false, m: w[l + 1], n: w[l], k: rows, alpha: 1,
                   a: delta, lda: w[l + 1], b: a, ldb: w[l], beta: 1, c: gradient + weightOffsets[l], ldc: w[l])
            let gb = gradient + biasOffsets[l]
            for r in 0..<rows {
                let dr = delta + r * w[l + 1]
                for j in 0..<w[l + 1] { gb[j] += dr[j] }
            }
            guard l > 0 else { break }
            // dL/da_{l} = delta·W, then through σ: dL/dz_{l-1} = dL/da ⊙ σ′(z).
            let next = ws.scratch[l - 1]
            T.gemm(transA: false, transB: false, m: rows, n: w[l], k: w[l + 1], alpha: 1,
                   a: delta, lda: w[l + 1], b: parameters + weightOffsets[l], ldb: w[l], beta: 0, c: next, ldc: w[l])
            let z = ws.preActivations[l - 1], act = ws.activations[l]
            let activation = shape.activation
            for i in 0..<(rows * w[l]) { next[i] *= activation.derivative(z: z[i], a: act[i]) }
            delta = next
        }
    }
}

/// Activation storage for up to `capacity` rows: inputs, every layer's pre-activations and
/// activations, the output gradient, and backward scratch. Allocated once, reused every step.
public final class MLPWorkspace<T: BLASScalar>: @unchecked Sendable {
    public let capacity: Int
    /// activations[0] is the input block (capacity × input); activations[L] is the output.
    public let activations: [UnsafeMutablePointer<T>]
    public let preActivations: [UnsafeMutablePointer<T>]
    /// dL/d(output), capacity × output, filled by the caller before ``MLP/backward(parameters:workspace:rows:gradient:)``.
    public let outputGradient: UnsafeMutablePointer<T>
    let scratch: [UnsafeMutablePointer<T>]

    public init(shape: MLPShape, capacity: Int) {
        self.capacity = capacity
        let w = shape.widths
        activations = w.map { UnsafeMutablePointer<T>.allocate(capacity: max(1, capacity * $0)) }
        preActivations = w.dropFirst().map { UnsafeMutablePointer<T>.allocate(capacity: max(1, capacity * $0)) }
        outputGradient = .allocate(capacity: max(1, capacity * shape.output))
        scratch = shape.hidden.map { UnsafeMutablePointer<T>.allocate(capacity: max(1, capacity * $0)) }
        for (p, width) in zip(activations, w) { p.initialize(repeating: 0, count: max(1, capacity * width)) }
        outputGradient.initialize(repeating: 0, count: max(1, capacity * shape.output))
    }

    /// Row `r` of the input block.
    @inlinable public func inputRow(_ r: Int, width: Int) -> UnsafeMutablePointer<T> { activations[0] + r * width }

    deinit {
        activations.forEach { $0.deallocate() }
        preActivations.forEach { $0.deallocate() }
        scratch.forEach { $0.deallocate() }
        outputGradient.deallocate()
    }
}
