import CKernels
import GFNCore
import Settings

extension Activation {
    /// The ReLU family's slope below 0, σ(z) = z > 0 ? z : slope·z (nil: tanh). The one place
    /// the leaky slope is written, so every pass that applies or differentiates σ agrees.
    @inlinable func rectifierSlope<T: BLASScalar>(_: T.Type) -> T? {
        switch self {
        case .relu: 0
        case .leakyRelu: T(0.01)
        case .tanh: nil
        }
    }

    /// out[i] = σ(z[i]).
    @inlinable func apply<T: BLASScalar>(_ z: UnsafePointer<T>, into out: UnsafeMutablePointer<T>, count: Int) {
        if let slope = rectifierSlope(T.self) { T.rectify(z, into: out, count: count, slope: slope) } else {
            for i in 0..<count { out[i] = T.tanh(z[i]) }
        }
    }

    /// x[i] = σ(x[i]) (the bits of `apply`).
    @inlinable func applyInPlace<T: BLASScalar>(_ x: UnsafeMutablePointer<T>, count: Int) {
        if let slope = rectifierSlope(T.self) { T.rectifyInPlace(x, count: count, slope: slope) } else {
            for i in 0..<count { x[i] = T.tanh(x[i]) }
        }
    }

    /// For `rows` rows of `width`: g ← g ⊙ σ′(z), read from the activations a = σ(z), and each
    /// row added to `columnSums`. The ReLU family's side of 0 is read from a: with a slope ≥ 0,
    /// a > 0 exactly when z > 0 (−0, NaN and −∞ included), so the forward pass need not keep z.
    @inlinable func multiplyByDerivativeAndSumRows<T: BLASScalar>(_ g: UnsafeMutablePointer<T>, a: UnsafePointer<T>,
                                                                  rows: Int, width: Int, columnSums: UnsafeMutablePointer<T>) {
        if let slope = rectifierSlope(T.self) {
            T.maskByPositiveAndSumRows(g, z: a, rows: rows, width: width, slope: slope, columnSums: columnSums)
        } else {
            T.multiplyByTanhDerivativeAndSumRows(g, a: a, rows: rows, width: width, columnSums: columnSums)
        }
    }
}

/// The shape of a multilayer perceptron: input → hidden layers → output.
///
/// With `outputGroups` G > 1 the output layer has G blocks of weights and biases, and each row
/// is computed with the block its caller names (an autoregressive model's per-position head:
/// row t of a trajectory uses block t). The hidden layers are shared by every group.
public struct MLPShape: Sendable, Codable, Equatable {
    public var input: Int
    public var hidden: [Int]
    public var output: Int
    public var activation: Activation
    /// Blocks of output-layer parameters (1: one output layer for every row).
    public var outputGroups: Int

    public init(input: Int, hidden: [Int], output: Int, activation: Activation, outputGroups: Int = 1) {
        self.input = input; self.hidden = hidden; self.output = output; self.activation = activation
        self.outputGroups = outputGroups
    }

    enum CodingKeys: String, CodingKey { case input, hidden, output, activation, outputGroups }
    // One group is the shape as it was before groups existed: absent in JSON, and written as absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        input = try c.decode(Int.self, forKey: .input); hidden = try c.decode([Int].self, forKey: .hidden)
        output = try c.decode(Int.self, forKey: .output); activation = try c.decode(Activation.self, forKey: .activation)
        outputGroups = try c.decodeIfPresent(Int.self, forKey: .outputGroups) ?? 1
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input); try c.encode(hidden, forKey: .hidden)
        try c.encode(output, forKey: .output); try c.encode(activation, forKey: .activation)
        if outputGroups != 1 { try c.encode(outputGroups, forKey: .outputGroups) }
    }

    /// Layer widths [input, h₁, …, output].
    public var widths: [Int] { [input] + hidden + [output] }

    /// Number of weights and biases.
    public var parameterCount: Int {
        let w = widths
        return (0..<(w.count - 1)).reduce(0) { $0 + (w[$1] * w[$1 + 1] + w[$1 + 1]) * (($1 == w.count - 2) ? outputGroups : 1) }
    }

    /// Multiply-adds of one forward pass of one row (×2 for FLOPs).
    public var multiplyAddsPerRow: Int {
        let w = widths
        return (0..<(w.count - 1)).reduce(0) { $0 + w[$1] * w[$1 + 1] }
    }
}

/// A multilayer perceptron over a flat parameter vector, evaluated on batches of rows through
/// CBLAS: layer ℓ computes z = a·Wᵀ + b (W is out × in, row-major), then a = σ(z) on hidden layers;
/// the output layer is linear. With output groups (see ``MLPShape/outputGroups``) the output
/// layer's weights are G consecutive (out × in) blocks followed by G bias blocks.
///
/// The network holds no per-batch state: activations live in an ``MLPWorkspace``, so one
/// workspace can keep the activations of many forward calls (rows) for a single backward pass.
///
/// With ``precision`` bf16 (Float networks only) every product — forward, dL/dW and dL/d(input)
/// — runs on operands rounded to bf16 with fp32 accumulation (``BF16Products``); the first
/// layer's columns for incremental updates are rounded the same way, so the incremental and the
/// dense first layer agree.
public struct MLP<T: BLASScalar>: Sendable {
    public let shape: MLPShape
    /// The arithmetic of the matrix products.
    public let precision: ProductPrecision
    /// Layer widths [input, h₁, …, output], stored: `MLPShape.widths` builds a new array per
    /// call, which the per-step forward pass must not do.
    public let widths: [Int]
    /// Offsets of W_ℓ and b_ℓ in the parameter vector.
    public let weightOffsets: [Int]
    public let biasOffsets: [Int]

    /// - Precondition: bf16 products only for a Float network.
    public init(shape: MLPShape, precision: ProductPrecision = .fp32) {
        precondition(precision == .fp32 || T.self == Float.self, "MLP: bf16 products need a Float network")
        self.shape = shape
        self.precision = precision
        widths = shape.widths
        let w = widths
        var wo: [Int] = [], bo: [Int] = [], off = 0
        for l in 0..<(w.count - 1) {
            let blocks = l == w.count - 2 ? shape.outputGroups : 1
            wo.append(off); off += w[l] * w[l + 1] * blocks
            bo.append(off); off += w[l + 1] * blocks
        }
        weightOffsets = wo; biasOffsets = bo
    }

    public var layerCount: Int { widths.count - 1 }

    /// PyTorch's default `Linear` initialisation, U(−1/√fan_in, 1/√fan_in) for weights and
    /// biases, drawn from `rng`; the output layer is scaled by `outputScale` (a small value starts
    /// the policy near uniform).
    public func initialParameters(rng: RandomStream, outputScale: Double = 1) -> [T] {
        var p = [T](repeating: 0, count: shape.parameterCount)
        let w = widths
        for l in 0..<layerCount {
            let bound = 1 / Double(w[l]).squareRoot() * (l == layerCount - 1 ? outputScale : 1)
            let blocks = l == layerCount - 1 ? shape.outputGroups : 1
            for i in 0..<(w[l] * w[l + 1] * blocks) { p[weightOffsets[l] + i] = T((2 * rng.uniform() - 1) * bound) }
            for i in 0..<(w[l + 1] * blocks) { p[biasOffsets[l] + i] = T((2 * rng.uniform() - 1) * bound) }
        }
        return p
    }

    /// Forward pass of `rows` rows starting at row `start` of the workspace: reads the input
    /// block (which the caller filled), writes every layer's activations, and returns a pointer
    /// to the first output row (row-major, `shape.output` columns).
    ///
    /// With `firstPreActivations`, the caller has instead written the first layer's
    /// pre-activations z₀ = a₀·W₀ᵀ + b₀ of these rows there (`rows` × width₁, row-major; for sparse
    /// inputs that change by one entry per call, where z₀ is cheaper to update than to
    /// recompute; see ``firstLayerColumns(parameters:into:)``); the input block is not read.
    /// `ws.firstPreActivations` holds room for every row of the workspace.
    ///
    /// With output groups every row of the call uses output block `group` (ignored with one group).
    @discardableResult
    public func forward(parameters: UnsafePointer<T>, workspace ws: MLPWorkspace<T>, start: Int, rows: Int,
                        firstPreActivations z0: UnsafePointer<T>? = nil, group: Int = 0) -> UnsafeMutablePointer<T> {
        let w = widths
        let g = outputBlock(group)
        // Given first-layer pre-activations of a Float network with a hidden layer after them
        // are activated by the next product, each row by the thread that multiplies it.
        var pending: PendingActivation?
        for l in 0..<layerCount {
            let last = l == layerCount - 1
            let out = ws.activations[l + 1] + start * w[l + 1]
            if l == 0, let z0 {
                if T.self == Float.self && !last {
                    pending = PendingActivation(preActivations: asFloat(z0), a: asMutableFloat(out), width: w[1], activation: shape.activation)
                } else {
                    shape.activation.apply(z0, into: out, count: rows * w[1])
                }
                continue
            }
            defer { pending = nil }
            // z = a·Wᵀ + b is computed in `out` and activated there: nothing reads a layer's z
            // once it is activated (the backward pass reads σ(z)), and storing it separately was
            // 4% of a bf16 training step (write traffic).
            let a = ws.activations[l] + start * w[l]
            let block = last ? g : 0
            let b = parameters + biasOffsets[l] + block * w[l + 1]
            let slot = weightSlot(layer: l, block: block, transposed: true), weights = parameters + weightOffsets[l] + block * w[l] * w[l + 1]
            if precision == .bf16 {
                // The bias (and a ReLU-family activation) applied as the product's tiles are stored.
                let slope = last ? nil : rectifierSlope
                ws.bf16Operands.gemm(transA: false, transB: true, m: rows, n: w[l + 1], k: w[l], alpha: 1, a: asFloat(a), lda: w[l], b: asFloat(weights),
                                     ldb: w[l], beta: 0, c: asMutableFloat(out), ldc: w[l + 1], weightSlot: slot, bias: asFloat(b),
                                     rectifier: slope, pendingA: pending)
                if !last && slope == nil { shape.activation.applyInPlace(out, count: rows * w[l + 1]) }
            } else {
                // With weights packed for fp32 products, the bias and a ReLU-family activation are
                // applied as the tiles are stored, as with bf16 (the same bits as the steps below).
                let slope = last ? nil : rectifierSlope
                if T.self == Float.self,
                   ws.fp32Operands.gemm(transB: true, m: rows, n: w[l + 1], k: w[l], a: asFloat(a), lda: w[l], b: asFloat(weights), ldb: w[l],
                                        betaOne: true, c: asMutableFloat(out), ldc: w[l + 1], weightSlot: slot, bias: asFloat(b), rectifier: slope,
                                        pendingA: pending) {
                    if !last && slope == nil { shape.activation.applyInPlace(out, count: rows * w[l + 1]) }
                    continue
                }
                // Otherwise OpenBLAS: z = b (broadcast), then z += a·Wᵀ.
                pending?.apply(rows: 0, rows)
                for r in 0..<rows { (out + r * w[l + 1]).update(from: b, count: w[l + 1]) }
                T.gemm(transA: false, transB: true, m: rows, n: w[l + 1], k: w[l], alpha: 1, a: a, lda: w[l], b: weights, ldb: w[l],
                       beta: 1, c: out, ldc: w[l + 1])
                if !last { shape.activation.applyInPlace(out, count: rows * w[l + 1]) }
            }
        }
        return ws.activations[layerCount] + start * shape.output
    }

    /// The ReLU family's slope below 0 (nil: tanh), which bf16 products apply as they store a hidden layer.
    var rectifierSlope: Float? { shape.activation.rectifierSlope(Float.self) }

    /// The output block of `group` (0 with a single group).
    @inline(__always) func outputBlock(_ group: Int) -> Int {
        guard shape.outputGroups > 1 else { return 0 }
        precondition(group >= 0 && group < shape.outputGroups, "MLP: output group \(group) outside 0..<\(shape.outputGroups)")
        return group
    }

    /// Output rows that share a block: with `rowsPerGroup` k, row r (of the workspace) uses block r / k.
    /// Calls `body(first, count, block)` for each maximal run of rows `start..<start + rows` in one block.
    @inline(__always) func forEachOutputRun(start: Int, rows: Int, rowsPerGroup: Int, _ body: (Int, Int, Int) -> Void) {
        guard shape.outputGroups > 1 else { body(start, rows, 0); return }
        var r = start
        while r < start + rows {
            let block = outputBlock(r / rowsPerGroup)
            let end = min(start + rows, (block + 1) * rowsPerGroup)
            body(r, end - r, block)
            r = end
        }
    }

    /// Backward pass over rows 0..<rows of the workspace, given dL/d(output) in
    /// `ws.outputGradient`: adds dL/dθ into `gradient` (which the caller zeroes per step).
    ///
    /// Without `firstLayerWeights`, dL/dW₀ is left to the caller (whose inputs are structured,
    /// see ``forward(parameters:workspace:start:rows:firstPreActivations:group:)``); every other
    /// gradient, dL/db₀ included, is added. Returns dL/dz₀ of every row (rows × width₁), valid
    /// until the next call.
    ///
    /// Rows go through every layer in blocks of ``MLPWorkspace/blockRows``, so a block's dL/dz
    /// of a hidden layer is used from cache (by σ′, the bias sum and the next products) instead
    /// of in whole-batch passes through memory: with tens of thousands of rows those passes, not
    /// the products, bounded the step.
    ///
    /// With output groups, row r was computed with output block r / `rowsPerGroup`.
    @discardableResult
    public func backward(parameters: UnsafePointer<T>, workspace ws: MLPWorkspace<T>, rows: Int, gradient: UnsafeMutablePointer<T>,
                         firstLayerWeights: Bool = true, rowsPerGroup: Int = .max) -> UnsafePointer<T> {
        let w = widths
        let last = layerCount - 1
        var start = 0
        while start < rows {
            let m = min(ws.blockRows, rows - start)
            // delta holds dL/dz of layer l for this block; the output layer is linear.
            var delta = UnsafePointer(ws.outputGradient + start * w[last + 1])
            forEachOutputRun(start: start, rows: m, rowsPerGroup: rowsPerGroup) { first, count, block in
                let bias = gradient + biasOffsets[last] + block * w[last + 1]
                for r in first..<(first + count) { T.add(ws.outputGradient + r * w[last + 1], to: bias, count: w[last + 1]) }
            }
            for l in stride(from: last, through: 0, by: -1) {
                // dW_l += deltaᵀ·a_l   (out × in), per output block on the output layer. The block's
                // a_l, written by the forward pass long before, is read into cache first (gfn_stream_in:
                // a plain read streams from memory about twice as fast as the product's packing).
                if l == last {
                    T.streamIn(ws.outputGradient + start * w[l + 1], count: m * w[l + 1])
                    T.streamIn(ws.activations[l] + start * w[l], count: m * w[l])
                    forEachOutputRun(start: start, rows: m, rowsPerGroup: rowsPerGroup) { first, count, block in
                        product(ws, weightSlot: nil, transA: true, transB: false, m: w[l + 1], n: w[l], k: count,
                                a: ws.outputGradient + first * w[l + 1], lda: w[l + 1], b: ws.activations[l] + first * w[l], ldb: w[l], beta: 1,
                                c: gradient + weightOffsets[l] + block * w[l] * w[l + 1], ldc: w[l])
                    }
                } else if l > 0 || firstLayerWeights {
                    T.streamIn(ws.activations[l] + start * w[l], count: m * w[l])
                    product(ws, weightSlot: nil, transA: true, transB: false, m: w[l + 1], n: w[l], k: m,
                            a: delta, lda: w[l + 1], b: ws.activations[l] + start * w[l], ldb: w[l], beta: 1, c: gradient + weightOffsets[l], ldc: w[l])
                }
                guard l > 0 else { break }
                // dL/dz_{l−1} = (delta·W_l) ⊙ σ′(z_{l−1}), whose row sum is dL/db_{l−1}. Layer 0's goes
                // to the whole-batch buffer the caller reads, deeper layers' to a block buffer.
                let next = l == 1 ? ws.firstLayerDelta + start * w[1] : ws.blockDelta[l % 2]
                if l == last {
                    forEachOutputRun(start: start, rows: m, rowsPerGroup: rowsPerGroup) { first, count, block in
                        product(ws, weightSlot: weightSlot(layer: l, block: block, transposed: false), transA: false, transB: false, m: count, n: w[l], k: w[l + 1],
                                a: ws.outputGradient + first * w[l + 1], lda: w[l + 1], b: parameters + weightOffsets[l] + block * w[l] * w[l + 1], ldb: w[l],
                                beta: 0, c: next + (first - start) * w[l], ldc: w[l])
                    }
                } else {
                    product(ws, weightSlot: weightSlot(layer: l, block: 0, transposed: false), transA: false, transB: false, m: m, n: w[l], k: w[l + 1],
                            a: delta, lda: w[l + 1], b: parameters + weightOffsets[l], ldb: w[l], beta: 0, c: next, ldc: w[l])
                }
                shape.activation.multiplyByDerivativeAndSumRows(next, a: ws.activations[l] + start * w[l], rows: m, width: w[l],
                                                               columnSums: gradient + biasOffsets[l - 1])
                delta = UnsafePointer(next)
            }
            start += m
        }
        return UnsafePointer(ws.firstLayerDelta)
    }

    /// W₀ transposed into `columns` (input × width₁): the weights of input i, contiguous at
    /// `columns + i·width₁`, to update first-layer pre-activations one input at a time. With bf16
    /// products the weights are rounded to bf16, as the dense product would round them.
    public func firstLayerColumns(parameters: UnsafePointer<T>, into columns: UnsafeMutablePointer<T>) {
        let inputs = shape.input, outputs = widths[1]
        let w0 = parameters + weightOffsets[0]
        // Written in order, read with a stride (the other way round, each store missed: with the
        // rounding called per weight, 1.2% of a bf16 10×10 training step).
        for i in 0..<inputs {
            let column = columns + i * outputs
            for j in 0..<outputs { column[j] = w0[j * inputs + i] }
        }
        if precision == .bf16 {
            gfn_bf16_round_array(UnsafeMutableRawPointer(columns).assumingMemoryBound(to: Float.self), inputs * outputs)
        }
    }

    /// The workspace slot of a packed weight matrix (bf16 products; fp32 ones, see ``FP32Products``): layer, output block, and
    /// orientation (transposed: the forward product's Wᵀ; not: the backward pass's W).
    @inline(__always) func weightSlot(layer: Int, block: Int, transposed: Bool) -> Int {
        ((layer * shape.outputGroups + block) << 1) | (transposed ? 1 : 0)
    }

    /// C ← op(A)·op(B) + β·C in this network's precision (α = 1). `weightSlot`: op(B) is that
    /// weight matrix, which the products keep packed in the workspace (bf16 always; fp32 where
    /// that gives OpenBLAS's bits, ``FP32Products``).
    @inline(__always) func product(_ ws: MLPWorkspace<T>, weightSlot: Int?, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                   a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
        guard precision == .bf16 else {
            // A Float weight product with β 0 or 1 may use the weights packed once per step (FP32Products).
            if T.self == Float.self, let slot = weightSlot, !transA, beta == 0 || beta == 1,
               ws.fp32Operands.gemm(transB: transB, m: m, n: n, k: k, a: asFloat(a), lda: lda, b: asFloat(b), ldb: ldb, betaOne: beta == 1,
                                    c: asMutableFloat(c), ldc: ldc, weightSlot: slot) {
                return
            }
            T.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        ws.bf16Operands.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: asFloat(a), lda: lda, b: asFloat(b), ldb: ldb,
                             beta: Float(beta), c: asMutableFloat(c), ldc: ldc, weightSlot: weightSlot)
    }

    // A bf16 network is a Float network (the initialiser's precondition): its buffers, read as Float.
    @inline(__always) func asFloat(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
    @inline(__always) func asMutableFloat(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    /// Adds `columnGradient` (input × width₁, the layout of ``firstLayerColumns(parameters:into:)``)
    /// to dL/dW₀ in `gradient`.
    public func addFirstLayerColumnGradient(_ columnGradient: UnsafePointer<T>, to gradient: UnsafeMutablePointer<T>) {
        let inputs = shape.input, outputs = widths[1]
        let g0 = gradient + weightOffsets[0]
        for j in 0..<outputs {
            for i in 0..<inputs { g0[j * inputs + i] += columnGradient[i * outputs + j] }
        }
    }
}

/// Activation storage for up to `capacity` rows: inputs, the first layer's pre-activations, every layer's
/// activations, the output gradient, and backward scratch. Allocated once, reused every step.
public final class MLPWorkspace<T: BLASScalar>: @unchecked Sendable {
    public let capacity: Int
    /// activations[0] is the input block (capacity × input); activations[L] is the output.
    public let activations: [UnsafeMutablePointer<T>]
    /// The first layer's pre-activations z₀ (capacity × width₁), which callers with sparse inputs
    /// update in place and hand to the forward pass (its `firstPreActivations`). No other
    /// layer's pre-activations are kept: each is activated where it is computed.
    public let firstPreActivations: UnsafeMutablePointer<T>
    /// dL/d(output), capacity × output, filled by the caller before ``MLP/backward(parameters:workspace:rows:gradient:firstLayerWeights:rowsPerGroup:)``.
    public let outputGradient: UnsafeMutablePointer<T>
    /// Rows per block of the backward pass (256 rows of 256 floats: 256 KB, an L2-sized block).
    public let blockRows = 256
    /// dL/dz₀ of every row (capacity × width₁), which the backward pass returns.
    let firstLayerDelta: UnsafeMutablePointer<T>
    /// Two block-sized buffers for dL/dz of deeper hidden layers, used alternately.
    let blockDelta: [UnsafeMutablePointer<T>]
    /// Packed operands of bf16 products (unused by fp32 networks).
    lazy var bf16Operands = BF16Operands()
    /// Weights packed for fp32 products (unused by bf16 and Double networks).
    lazy var fp32Operands = FP32Operands()

    /// Drops the weights the products keep packed: call it when the parameters this workspace's
    /// network reads may have changed since its last product (the trainer does, every step).
    public func forgetPackedWeights() {
        bf16Operands.forget()
        fp32Operands.forget()
    }

    public init(shape: MLPShape, capacity: Int) {
        self.capacity = capacity
        let w = shape.widths
        activations = w.map { UnsafeMutablePointer<T>.allocate(capacity: max(1, capacity * $0)) }
        firstPreActivations = .allocate(capacity: max(1, capacity * w[1]))
        outputGradient = .allocate(capacity: max(1, capacity * shape.output))
        firstLayerDelta = .allocate(capacity: max(1, capacity * w[1]))
        let widest = shape.hidden.max() ?? 1
        blockDelta = [.allocate(capacity: blockRows * widest), .allocate(capacity: blockRows * widest)]
        for (p, width) in zip(activations, w) { p.initialize(repeating: 0, count: max(1, capacity * width)) }
        outputGradient.initialize(repeating: 0, count: max(1, capacity * shape.output))
    }

    /// Row `r` of the input block.
    @inlinable public func inputRow(_ r: Int, width: Int) -> UnsafeMutablePointer<T> { activations[0] + r * width }

    deinit {
        activations.forEach { $0.deallocate() }
        firstPreActivations.deallocate()
        firstLayerDelta.deallocate()
        blockDelta.forEach { $0.deallocate() }
        outputGradient.deallocate()
    }
}
