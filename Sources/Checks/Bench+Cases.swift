import NeuralNet
import Settings

/// The GFlowNet configurations the bench measures, and the peers' configurations among them.
extension Bench {
    /// One GFlowNet configuration the bench trains and samples.
    struct GFlowNetCase {
        var key: String
        var side: Int
        var label: String
        var settings: GFlowNetSettings
        /// The key of the case this one is the one-worker baseline of (nil: none).
        var oneWorkerBaselineOf: String?
        /// The key of the fp32 case this bf16 one is compared with (nil: none).
        var bf16ComparedTo: String?
    }

    /// torchgfn's configuration in its peer script: any order, P_B learned in a network of its
    /// own, MLP 2 × 256, batch 64.
    static var torchgfnLike: GFlowNetSettings {
        var s = trunkLike
        s.backwardNetwork = .separate
        return s
    }

    /// gfnx's baseline configuration: the same with P_B a head on the forward network's trunk
    /// (`--backward-network trunk`, the command line's default).
    static var trunkLike: GFlowNetSettings {
        var s = GFlowNetSettings()
        s.order = .any; s.backward = .learned; s.hidden = 256; s.layers = 2; s.batch = 64
        return withCommandLineWorkers(s)
    }

    /// `s` with bf16 products (`--precision bf16`).
    static func inBF16(_ s: GFlowNetSettings) -> GFlowNetSettings {
        var s = s
        s.precision = .bf16
        return s
    }

    /// `s` with the training workers the command line gives it (`GFlowNetSettings.defaultTrainWorkers`).
    static func withCommandLineWorkers(_ s: GFlowNetSettings) -> GFlowNetSettings {
        var s = s
        s.trainWorkers = GFlowNetSettings.defaultTrainWorkers(objective: s.objective, batch: s.batch)
        return s
    }

    /// The GFlowNet configurations, by the key bench.json and the peak-memory table use.
    static var gflowNetCases: [GFlowNetCase] {
        var defaultAtBatch64 = GFlowNetSettings()
        defaultAtBatch64.batch = 64
        var oneWorker = torchgfnLike
        oneWorker.trainWorkers = nil
        let fixed = withCommandLineWorkers(GFlowNetSettings())
        // bf16 products where the CPU has them, each right after its fp32 twin (bf16ComparedTo).
        let bf16: [GFlowNetCase] = BF16Products.isSupported ? [
            GFlowNetCase(key: "gfn_10x10_torchgfn_like_bf16", side: 10, label: "torchgfn-like with bf16 products", settings: inBF16(torchgfnLike),
                         bf16ComparedTo: "gfn_10x10_torchgfn_like"),
            GFlowNetCase(key: "gfn_10x10_trunk_pb_bf16", side: 10, label: "gfnx-baseline-like with bf16 products", settings: inBF16(trunkLike),
                         bf16ComparedTo: "gfn_10x10_trunk_pb")] : []
        return [GFlowNetCase(key: "gfn_10x10_torchgfn_like", side: 10, label: "any order, P_B in its own network, 256×2, batch 64 (torchgfn-like)", settings: torchgfnLike),
                bf16.first,
                GFlowNetCase(key: "gfn_10x10_trunk_pb", side: 10, label: "any order, P_B on the trunk, 256×2, batch 64 (gfnx-baseline-like)", settings: trunkLike),
                bf16.last].compactMap { $0 } + [
                GFlowNetCase(key: "gfn_10x10_torchgfn_like_one_worker", side: 10, label: "torchgfn-like with one training worker (OpenBLAS's own threads)", settings: oneWorker,
                             oneWorkerBaselineOf: "gfn_10x10_torchgfn_like"),
                GFlowNetCase(key: "gfn_10x10_default", side: 10, label: "fixed order, shared head, 256×2, batch 128", settings: fixed),
                GFlowNetCase(key: "gfn_10x10_default_batch64", side: 10, label: "fixed order, shared head, 256×2, at the torchgfn batch (64)", settings: withCommandLineWorkers(defaultAtBatch64)),
                GFlowNetCase(key: "gfn_4x4_default", side: 4, label: "fixed order, shared head, 256×2, batch 128", settings: fixed),
                GFlowNetCase(key: "gfn_4x4_torchgfn_like", side: 4, label: "any order, P_B in its own network, 256×2, batch 64 (torchgfn-like)", settings: torchgfnLike),
                GFlowNetCase(key: "gfn_4x4_trunk_pb", side: 4, label: "any order, P_B on the trunk, 256×2, batch 64 (gfnx-baseline-like)", settings: trunkLike),
                GFlowNetCase(key: "gfn_10x10_cli_default", side: 10, label: "CLI default (fixed order, per-step head, 256×1, batch 128)", settings: GFNBench.commandLineDefault),
                GFlowNetCase(key: "gfn_4x4_cli_default", side: 4, label: "CLI default (fixed order, per-step head, 256×1, batch 128)", settings: GFNBench.commandLineDefault)]
    }
}
