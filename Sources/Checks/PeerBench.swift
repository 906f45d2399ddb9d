import Comparison
import Dispatch
import Exact
import Foundation
import GFNCore

/// The peer GFlowNet libraries measured in the same bench run (`bench --peers PYTHON`): torchgfn
/// and gfnx training trajectory balance on the periodic Ising model, through the peer scripts
/// (`../shared/peers`), on the configurations bench measures for this toolkit.
public enum PeerBench {
    /// The peer environment's library versions, as its Python reports them.
    public struct Versions: Codable, Equatable {
        public var python: String
        public var torch: String
        public var torchgfn: String
        public var jax: String
        public var gfnx: String
    }

    /// One peer measurement beside ours, taken one after the other.
    public struct Measurement: Codable {
        /// "torchgfn", "gfnx (separate P_B network)" or "gfnx (P_B sharing the trunk)".
        public var peer: String
        /// Where this toolkit's P_B was in the comparison: "separate" (its own network, like
        /// torchgfn and gfnx's separate P_B) or "trunk" (a head on the forward network, like
        /// gfnx's baseline). Absent in runs before 2026-12-02, which measured ours with P_B on the
        /// trunk against every peer.
        public var ours: String?
        /// The arithmetic of our products in this comparison: "bf16" (`--precision bf16`), or
        /// absent for fp32.
        public var oursPrecision: String?
        public var side: Int
        public var trainSeconds: Double
        public var peerTrajectoriesPerS: Double
        /// This toolkit on the same configuration (any order, learned P_B where ``ours`` says, MLP 2 × 256, batch 64),
        /// measured just before and just after the peers of this lattice: the mean of the two, and
        /// the two themselves (their spread is the machine's drift over those minutes).
        public var oursTrajectoriesPerS: Double
        public var oursBeforeAndAfter: [Double]
        /// Ours (the mean) over the peer's rate, and the range the two measurements of ours give.
        public var oursOverPeer: Double
        public var oursOverPeerRange: [Double]
    }

    public struct Report: Codable {
        public var versions: Versions
        public var scripts: String
        public var measurements: [Measurement]
    }

    static let scriptNames = ["gfn_ising_tb.py", "gfnx_ising_tb.py", "ising_exact.py"]

    /// Checks the peer environment before any measurement: the interpreter runs, the scripts are
    /// there, and torch, torchgfn, jax and gfnx import. Returns their versions.
    static func check(python: String, scripts: URL) throws -> Versions {
        guard FileManager.default.isExecutableFile(atPath: resolve(python)) else {
            throw GFNError.invalidInput("--peers \(python) is not an executable Python (make the environment with ../shared/peers/setup.sh and pass the python it prints)")
        }
        for name in scriptNames where !FileManager.default.fileExists(atPath: scripts.appendingPathComponent(name).path) {
            throw GFNError.invalidInput("--peer-scripts \(scripts.path) has no \(name) (the peer scripts are in ../shared/peers)")
        }
        let code = """
        import importlib.metadata as m, platform, json
        import torch, gfn, jax, gfnx
        print(json.dumps({"python": platform.python_version(), "torch": m.version("torch"), "torchgfn": m.version("torchgfn"), "jax": m.version("jax"), "gfnx": m.version("gfnx")}))
        """
        let out: String
        do { out = try run(python, ["-c", code], timeout: 120) } catch {
            throw GFNError.invalidInput("--peers \(python) cannot import the peer libraries (torch, torchgfn, jax, gfnx): \(error); make the environment with ../shared/peers/setup.sh and pass the python it prints")
        }
        guard let line = out.split(separator: "\n").last, let versions = try? JSONDecoder().decode(Versions.self, from: Data(line.utf8)) else {
            throw GFNError.invalidInput("--peers \(python) did not report the peer libraries' versions")
        }
        return versions
    }

    /// torchgfn's trajectories per second: TB on its DiscreteEBM Ising environment (any order, exit
    /// action, P_F and P_B in separate MLPs), `seconds` of training on 2 threads.
    static func torchgfn(python: String, scripts: URL, side: Int, seconds: Double) throws -> Double {
        let out = try run(python, [scripts.appendingPathComponent("gfn_ising_tb.py").path, "--L", "\(side)", "--J", "1", "--alpha", "\(defaultBeta / 2)",
                                   "--batch_size", "64", "--hidden_dim", "256", "--n_hidden", "2", "--train_seconds", "\(seconds)",
                                   "--threads", "2", "--seed", "1"], timeout: seconds + 300)
        for line in out.split(separator: "\n").reversed() where line.hasPrefix("{") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               object["kind"] as? String == "summary", let rate = object["trajs_per_s"] as? Double, rate > 0 {
                return rate
            }
        }
        throw GFNError.runtime("torchgfn's script printed no summary with trajs_per_s:\n" + out.suffix(400))
    }

    /// gfnx's trajectories per second: TB on its Ising environment with J fixed (any order, no exit
    /// action), the step jitted as gfnx's baselines do; compile time excluded by the script.
    /// `backward`: "separate" (its own MLP, like torchgfn and `--backward-network separate`) or
    /// "shared" (gfnx's baseline, like this toolkit's default `--backward-network trunk`).
    static func gfnx(python: String, scripts: URL, side: Int, seconds: Double, backward: String) throws -> Double {
        let out = try run(python, [scripts.appendingPathComponent("gfnx_ising_tb.py").path, "--side", "\(side)", "--coupling", "\(defaultBeta / 2)",
                                   "--batch", "64", "--hidden", "256", "--depth", "2", "--seconds", "\(seconds)", "--pb", backward,
                                   "--threads", "2", "--seed", "1"], timeout: seconds + 600)
        for line in out.split(separator: "\n").reversed() where line.hasPrefix("RESULT trajectories/s = ") {
            if let rate = Double(line.dropFirst("RESULT trajectories/s = ".count).prefix { !$0.isWhitespace }), rate > 0 { return rate }
        }
        throw GFNError.runtime("gfnx's script printed no RESULT line:\n" + out.suffix(400))
    }

    /// Runs a child process to completion and returns its standard output. A stop request (Ctrl-C)
    /// or the timeout ends the child (SIGTERM, then SIGKILL a second later) and throws.
    static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: resolve(executable))
        p.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        p.environment = environment
        let output = Pipe(), errors = Pipe()
        p.standardOutput = output
        p.standardError = errors
        // Read both pipes while the child runs: a full pipe would block it.
        let collected = OutputCollector()
        output.fileHandleForReading.readabilityHandler = { h in collected.append(h.availableData, error: false) }
        errors.fileHandleForReading.readabilityHandler = { h in collected.append(h.availableData, error: true) }
        do { try p.run() } catch { throw GFNError.invalidInput("cannot run \(executable): \(error.localizedDescription)") }
        let start = DispatchTime.now().uptimeNanoseconds
        while p.isRunning {
            if Interruption.requested || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 > timeout {
                p.terminate()
                let deadline = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
                while p.isRunning && DispatchTime.now().uptimeNanoseconds < deadline { usleep(20_000) }
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                p.waitUntilExit()
                try Interruption.check()
                throw GFNError.runtime("\(URL(fileURLWithPath: arguments.first ?? executable).lastPathComponent) did not finish within \(Int(timeout)) s")
            }
            usleep(20_000)
        }
        p.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
        collected.append(output.fileHandleForReading.readDataToEndOfFile(), error: false)
        collected.append(errors.fileHandleForReading.readDataToEndOfFile(), error: true)
        guard p.terminationStatus == 0 else {
            throw GFNError.runtime("\(URL(fileURLWithPath: arguments.first ?? executable).lastPathComponent) exited with status \(p.terminationStatus): \(collected.errorText.suffix(400))")
        }
        return collected.outputText
    }
}

extension PeerBench {
    /// A command name without a slash is looked up on PATH, as a shell would.
    static func resolve(_ executable: String) -> String {
        guard !executable.contains("/") else { return executable }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return executable
    }
}

/// Bytes read from a child's two pipes on their handlers' threads.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func append(_ d: Data, error: Bool) { lock.lock(); if error { err.append(d) } else { out.append(d) }; lock.unlock() }
    var outputText: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    var errorText: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }
}
