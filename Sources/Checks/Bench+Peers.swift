import Foundation
import GFNCore
import NeuralNet
import Settings

extension Bench {
    /// (c′) The peers on the torchgfn-like configuration, each lattice between two new
    /// measurements of ours (before and after), so drift in the machine's speed shows as a range.
    func measurePeers(_ log: Log, versions: PeerBench.Versions) throws -> PeerBench.Report {
        guard let (python, peerFolder, seconds) = peers else { throw GFNError.invalidInput("no peer environment") }
        var measurements: [PeerBench.Measurement] = []
        // Like for like: torchgfn and gfnx's separate P_B against ours with P_B in its own
        // network; gfnx's baseline (P_B a head on the trunk) against ours with the same.
        // With bf16 products too where the CPU has them, each against the same peer measurement.
        var configurations: [(ours: String, settings: GFlowNetSettings)] = [("separate", Self.torchgfnLike), ("trunk", Self.trunkLike)]
        if BF16Products.isSupported { configurations += configurations.map { ($0.ours, Self.inBF16($0.settings)) } }
        func key(_ c: (ours: String, settings: GFlowNetSettings)) -> String { c.settings.precision == .bf16 ? c.ours + "_bf16" : c.ours }
        for s in [10, 4] {
            func ours(_ when: String) throws -> [String: Double] {
                var rates: [String: Double] = [:]
                for c in configurations {
                    rates[key(c)] = try log.tracking("gfn_\(s)x\(s)_\(key(c))_pb_\(when)_peers", "GFlowNet \(s)×\(s), P_B \(key(c)), \(when) the peers") {
                        try GFNBench.measure(side: s, settings: c.settings, iterations: quick ? 3 : (s == 10 ? 60 : 600), warmup: quick ? 1 : 5, samples: 500,
                                             sgemmSeconds: quick ? 0.02 : 0.3)
                    }.trajectoriesPerSecond
                }
                return rates
            }
            let before = try ours("before")
            var rates: [(String, String, Double)] = []
            let runs: [(String, String, () throws -> Double)] = [
                ("torchgfn", "separate", { try PeerBench.torchgfn(python: python, scripts: peerFolder, side: s, seconds: seconds) }),
                ("gfnx (separate P_B network)", "separate", { try PeerBench.gfnx(python: python, scripts: peerFolder, side: s, seconds: seconds, backward: "separate") }),
                ("gfnx (P_B sharing the trunk)", "trunk", { try PeerBench.gfnx(python: python, scripts: peerFolder, side: s, seconds: seconds, backward: "shared") }),
            ]
            for (peer, configuration, measure) in runs {
                rates.append((peer, configuration, try log.tracking("peer_\(s)x\(s)_\(peer)", "\(peer) \(s)×\(s), \(Int(seconds)) s of training") { try measure() }))
            }
            let after = try ours("after")
            for (peer, configuration, rate) in rates {
                for c in configurations where c.ours == configuration {
                    let b = before[key(c)]!, a = after[key(c)]!, mean = (b + a) / 2
                    measurements.append(PeerBench.Measurement(peer: peer, ours: configuration, oursPrecision: c.settings.precision?.rawValue, side: s, trainSeconds: seconds,
                                                              peerTrajectoriesPerS: rate, oursTrajectoriesPerS: mean, oursBeforeAndAfter: [b, a],
                                                              oursOverPeer: mean / rate, oursOverPeerRange: [min(b, a) / rate, max(b, a) / rate]))
                }
            }
        }
        let version = ["torchgfn": "torchgfn \(versions.torchgfn) (torch \(versions.torch))", "gfnx": "gfnx \(versions.gfnx) (jax \(versions.jax))"]
        for m in measurements {
            let name = m.peer.hasPrefix("torchgfn") ? version["torchgfn"]! : version["gfnx"]! + m.peer.dropFirst(4)
            let where_ = (m.ours == "trunk" ? "on the trunk" : "in its own network") + (m.oursPrecision == "bf16" ? ", bf16 products," : "")
            log.rows.append(String(format: "| %@, %d×%d, any order, learned P_B, 256×2, batch 64, 2 threads | %.0f trajectories/s | ours with P_B %@ %.0f/s (%.0f before, %.0f after): %.2f× (%.2f–%.2f×) |",
                                   name, m.side, m.side, m.peerTrajectoriesPerS, where_, m.oursTrajectoriesPerS, m.oursBeforeAndAfter[0], m.oursBeforeAndAfter[1],
                                   m.oursOverPeer, m.oursOverPeerRange[0], m.oursOverPeerRange[1]))
        }
        return PeerBench.Report(versions: versions, scripts: peerFolder.path, measurements: measurements)
    }
}
