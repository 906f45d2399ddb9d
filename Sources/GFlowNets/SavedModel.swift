import Foundation
import GFNCore
import NeuralNet
import Settings

/// A trained GFlowNet on disk: architecture, parameters, log Z, the energy it was trained on,
/// the seed and the training record. Parameters are stored as base64 of little-endian float32,
/// so a save → load round trip is exact. A checksum over everything else in the file (FNV-1a of
/// its canonical JSON without the checksum) makes a changed digit a refused load, not a
/// silently different model.
public struct SavedModel: Codable, Equatable, Sendable {
    public static let formatName = "gfn-compare-model"
    public static let currentFormatVersion = 2

    public var format: String
    public var formatVersion: Int
    public var toolVersion: String
    /// What the model was trained to sample: the energy's parameters and β, as name → value.
    public var target: [String: String]
    public var settings: GFlowNetSettings
    public var seed: UInt64
    public var logZ: Double
    public var parameterCount: Int
    public var parameters: String
    public var training: TrainingRecord
    /// FNV-1a (64-bit, hex) of the file's canonical JSON with this field empty.
    public var checksum: String = ""

    public init<Env: ConstructionEnvironment>(model: GFlowNetModel<Env, Float>, target: [String: String], seed: UInt64, training: TrainingRecord, toolVersion: String) {
        format = Self.formatName; formatVersion = Self.currentFormatVersion
        self.toolVersion = toolVersion; self.target = target; settings = model.settings; self.seed = seed
        logZ = model.logZ; parameterCount = model.parameters.count
        parameters = model.parameters.withUnsafeBufferPointer { buf in
            var data = Data(capacity: buf.count * 4)
            for v in buf { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data.base64EncodedString()
        }
        self.training = training
        checksum = (try? computedChecksum()) ?? ""
    }

    /// The checksum of this model's content: FNV-1a over its canonical JSON (sorted keys) with
    /// `checksum` empty. JSON numbers round-trip exactly, so a read → write gives the same bytes.
    public func computedChecksum() throws -> String {
        var copy = self
        copy.checksum = ""
        var h = FNV1a()
        h.add(try Self.encoder().encode(copy))
        return h.hex
    }

    static func encoder() -> JSONEncoder {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.keyEncodingStrategy = .convertToSnakeCase
        return enc
    }

    /// The decoded parameter vector.
    public func decodedParameters() throws -> [Float] {
        guard parameterCount >= 0, parameterCount <= 1 << 28 else {
            throw GFNError.invalidInput("the model file's parameter_count \(parameterCount) is out of range")
        }
        guard let data = Data(base64Encoded: parameters), data.count == parameterCount * 4 else {
            throw GFNError.invalidInput("the model file's parameters are corrupt: expected \(parameterCount) float32 values")
        }
        var out = [Float](repeating: 0, count: parameterCount)
        data.withUnsafeBytes { raw in
            for i in 0..<parameterCount {
                out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
        guard out.allSatisfy(\.isFinite) else { throw GFNError.invalidInput("the model file has non-finite parameters") }
        return out
    }

    /// Writes the model atomically.
    public func write(to url: URL) throws {
        try AtomicOutput.write(try Self.encoder().encode(self), to: url)
    }

    /// Reads and checks a model file; `target` must equal the one it was trained for.
    public static func read(from url: URL, expecting target: [String: String]) throws -> SavedModel {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GFNError.invalidInput("--load-model \(url.path): cannot read the file")
        }
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        let model: SavedModel
        do { model = try dec.decode(SavedModel.self, from: data) } catch {
            throw GFNError.invalidInput("--load-model \(url.path): not a gfn-compare model file (\(error.localizedDescription))")
        }
        guard model.format == formatName, model.formatVersion == currentFormatVersion else {
            throw GFNError.invalidInput("--load-model \(url.path): format \(model.format) version \(model.formatVersion); this gfn-compare reads \(formatName) version \(currentFormatVersion)")
        }
        guard let expected = try? model.computedChecksum(), model.checksum == expected else {
            throw GFNError.invalidInput("--load-model \(url.path): checksum mismatch (the file says \(model.checksum.isEmpty ? "nothing" : model.checksum), its content gives \((try? model.computedChecksum()) ?? "nothing")): the file was changed or damaged after it was saved")
        }
        try model.settings.validate()
        guard model.target == target else {
            let differing = Set(model.target.keys).union(target.keys).sorted().filter { model.target[$0] != target[$0] }
                .map { "\($0) is \(model.target[$0] ?? "absent") in the model but \(target[$0] ?? "absent") here" }
            throw GFNError.invalidInput("--load-model \(url.path) was trained for a different target: \(differing.joined(separator: "; "))")
        }
        return model
    }
}
