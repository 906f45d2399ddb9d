import Foundation
import Reporting
import Testing
import TestSupport

/// `--save-draws DIR`: the files and their index; the bad inputs refused up front in one line
/// with exit 2, nothing written.
@Suite(.serialized) struct SaveDrawsTests {
    static let small = ["--lattice", "2x3", "--boundary", "open", "--beta", "0.3", "--samples", "4000", "--chains", "2", "--burn-in", "50",
                        "--iterations", "30", "--hidden", "8", "--batch", "8", "--gfn-samples", "500", "--blas-threads", "1", "--quiet"]

    @Test func drawsAreWrittenWithTheirIndexAndTheSameSeedWritesTheSameBytes() throws {
        let dir = TestSupport.temporaryDirectory()
        var folders: [URL] = []
        for k in 0..<2 {
            let draws = dir.appendingPathComponent("draws\(k)")
            let r = try TestSupport.run(Self.small + ["--gfn-mh", "--out", dir.appendingPathComponent("run\(k)").path, "--save-draws", draws.path])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("draws: \(draws.path)/draws.json"))
            folders.append(draws)
        }
        let names = ["draws.json", "gfn-mh/energy.npy", "gfn-mh/log_weight.npy", "gfn-mh/magnetization.npy", "gfn-mh/states.npy",
                     "gfn/energy.npy", "gfn/log_pb.npy", "gfn/log_pf.npy", "gfn/log_pt.npy", "gfn/magnetization.npy", "gfn/states.npy",
                     "mh/energy.npy", "mh/magnetization.npy", "mh/states.npy"]
        let listed = FileManager.default.enumerator(atPath: folders[0].path)?.compactMap { $0 as? String }.filter { $0.contains(".") }.sorted()
        #expect(listed == names)
        // Deterministic: the same seed writes the same bytes (the index holds no time or machine).
        for name in names {
            #expect(try Data(contentsOf: folders[0].appendingPathComponent(name)) == Data(contentsOf: folders[1].appendingPathComponent(name)), "\(name)")
        }
        let index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folders[0].appendingPathComponent("draws.json"))) as? [String: Any])
        let samplers = try #require(index["samplers"] as? [[String: Any]])
        let mh = try #require(samplers.first)
        let states = try #require((mh["arrays"] as? [String: Any])?["states"] as? [String: Any])
        #expect(states["shape"] as? [Int] == [2, 2000, 6] && states["dtype"] as? String == "int8")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: folders[0].appendingPathComponent("mh/states.npy").path)[.size] as? Int)
        #expect(size == 128 + 2 * 2000 * 6)  // a 128-byte header, then one byte per value
    }

    @Test func anEmptyExistingFolderIsUsedAndForceReplacesADrawsFolder() throws {
        let dir = TestSupport.temporaryDirectory()
        let draws = dir.appendingPathComponent("draws")
        try FileManager.default.createDirectory(at: draws, withIntermediateDirectories: true)
        let first = try TestSupport.run(Self.small + ["--no-gfn", "--out", dir.appendingPathComponent("a").path, "--save-draws", draws.path])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try TestSupport.run(Self.small + ["--no-gfn", "--seed", "2", "--out", dir.appendingPathComponent("b").path, "--save-draws", draws.path])
        #expect(again.status == 2 && again.stderr.contains("--save-draws") && again.stderr.contains("--force"), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("b").path))
        let forced = try TestSupport.run(Self.small + ["--no-gfn", "--seed", "2", "--out", dir.appendingPathComponent("b").path, "--save-draws", draws.path, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a", "b", "draws"])  // no staging folder left
    }

    @Test(arguments: ["non-empty", "file", "under-a-file", "is-out", "holds-out"])
    func badDrawsFoldersAreRefusedInOneLine(_ kind: String) throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir.appendingPathComponent("out")
        var draws = dir.appendingPathComponent("draws")
        switch kind {
        case "non-empty":
            try FileManager.default.createDirectory(at: draws, withIntermediateDirectories: true)
            try Data("mine".utf8).write(to: draws.appendingPathComponent("notes.txt"))
        case "file": try Data("mine".utf8).write(to: draws)
        case "under-a-file":
            try Data("mine".utf8).write(to: dir.appendingPathComponent("plain"))
            draws = dir.appendingPathComponent("plain/draws")
        case "is-out": draws = out
        default: draws = dir
        }
        let r = try TestSupport.run(Self.small + ["--out", out.path, "--save-draws", draws.path] + (kind == "non-empty" ? ["--force"] : []))
        #expect(r.status == 2, "\(kind): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--save-draws"), "\(kind): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        if kind == "non-empty" { #expect(try FileManager.default.contentsOfDirectory(atPath: draws.path) == ["notes.txt"]) }
        if kind == "file" { #expect(try String(contentsOf: draws, encoding: .utf8) == "mine") }
    }
}
