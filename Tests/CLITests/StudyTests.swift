import Foundation
import Testing
import TestSupport

/// The committed studies (reports/study, the Ising grid; reports/study-ea, the Edwards–Anderson
/// series): each report regenerates from its records byte for byte, a run of each reproduces, and
/// the README's headline holds each report's generated conclusion.
@Suite struct CommittedStudyTests {
    static let study = TestSupport.packageRoot.appendingPathComponent("reports/study")
    static let studies = ["study", "study-ea", "study-large"]

    /// A folder holding a copy of a committed study's run.json files (nothing derived from them).
    static func copyOfTheRecords(named name: String, from study: URL = study) throws -> URL {
        let fm = FileManager.default
        let copy = TestSupport.temporaryDirectory().appendingPathComponent(name)
        try fm.createDirectory(at: copy.appendingPathComponent("runs"), withIntermediateDirectories: true)
        for run in try fm.contentsOfDirectory(atPath: study.appendingPathComponent("runs").path) where run.hasPrefix("run-") {
            let to = copy.appendingPathComponent("runs").appendingPathComponent(run)
            try fm.createDirectory(at: to, withIntermediateDirectories: true)
            try fm.copyItem(at: study.appendingPathComponent("runs/\(run)/run.json"), to: to.appendingPathComponent("run.json"))
        }
        return copy
    }

    @Test(arguments: studies) func theReportRegeneratesFromItsRecords(_ folder: String) throws {
        let study = TestSupport.packageRoot.appendingPathComponent("reports/\(folder)")
        let copy = try Self.copyOfTheRecords(named: folder, from: study)
        for name in ["sweep-spec.json", "study-notes.md"] {
            try FileManager.default.copyItem(at: study.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        let r = try TestSupport.run(["merge", "--study", copy.path])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["report.md", "study.json", "sweep.md"] {
            #expect(try Data(contentsOf: copy.appendingPathComponent(name)) == Data(contentsOf: study.appendingPathComponent(name)), "\(folder)/\(name) differs")
        }
    }

    /// A sweep without the study's axes is refused in one line, exit 2, before anything is written.
    @Test func aSweepWithoutTheStudyAxesIsRefused() throws {
        let copy = try Self.copyOfTheRecords(named: "not-a-study")
        let spec = try String(contentsOf: Self.study.appendingPathComponent("sweep-spec.json"), encoding: .utf8)
        try spec.replacingOccurrences(of: "\"budget-work\"", with: "\"seed\"").write(to: copy.appendingPathComponent("sweep-spec.json"), atomically: true, encoding: .utf8)
        let r = try TestSupport.run(["merge", "--study", copy.path])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("merge --study needs a sweep whose axes include lattice, beta, budget-work"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent("study.json").path))
    }

    @Test(arguments: studies) func theREADMEHeadlineIsTheGeneratedConclusion(_ folder: String) throws {
        let report = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("reports/\(folder)/report.md"), encoding: .utf8)
        let readme = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(report.components(separatedBy: "## Conclusion\n\n").dropFirst().first?.components(separatedBy: "\n\n").first)
        let bullets = section.split(separator: "\n").map(String.init)
        #expect(!bullets.isEmpty)
        for b in bullets { #expect(readme.contains(b), "README lacks: \(b)") }
    }

    /// The README's scale-benchmark table is the committed one (`reports/scale/scale.md`, which
    /// `scripts/scale-table.py` reads from the records), row for row.
    @Test func theREADMEScaleTableIsTheCommittedOne() throws {
        let table = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("reports/scale/scale.md"), encoding: .utf8)
        let readme = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = table.split(separator: "\n").map(String.init).filter { $0.hasPrefix("| ") }
        #expect(rows.count == 7, "a header and six configurations")
        for row in rows { #expect(readme.contains(row), "README lacks: \(row)") }
    }

    /// A run of each study, rerun from its record, gives the same record (timing and machine aside).
    @Test(arguments: [("study", "run-00003"), ("study-ea", "run-00000")]) func aRunReproduces(_ folder: String, _ run: String) throws {
        let r = try TestSupport.run(["reproduce", TestSupport.packageRoot.appendingPathComponent("reports/\(folder)/runs/\(run)/run.json").path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }
}
