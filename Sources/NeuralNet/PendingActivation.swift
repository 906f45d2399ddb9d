import Settings

/// A product's A operand still to be computed, row by row: A's rows are σ of the same rows of
/// `preActivations` (the first layer's pre-activations, which sampling updates in place). The
/// thread that multiplies a block of rows activates that block first, so a split product
/// activates its rows on both threads instead of on the caller alone while the other waits
/// (2.9% of fp32 10×10 sampling's CPU time, run serially). Each element is σ of its own input,
/// so the bits do not depend on the split.
struct PendingActivation {
    var preActivations: UnsafePointer<Float>
    /// A itself (row stride `width`).
    var a: UnsafeMutablePointer<Float>
    var width: Int
    var activation: Activation

    /// The slope below 0 of a ReLU-family activation (nil: tanh), which bf16 packing applies as it packs.
    var rectifierSlope: Float? { activation.rectifierSlope(Float.self) }

    /// A's rows first..<last ← σ(pre-activation rows first..<last).
    @inline(__always) func apply(rows first: Int, _ last: Int) {
        guard last > first else { return }
        activation.apply(preActivations + first * width, into: a + first * width, count: (last - first) * width)
    }
}
