import GFNCore
import Testing

/// The OpenBLAS kernel family a record names, and whether this CPU can run a family (what
/// `reproduce` needs to rerun a record under the kernels it was made with).
@Suite struct OpenBLASCoreTests {
    @Test func theRecordedKernelIsReadFromTheDescription() {
        #expect(GSL.openBLASCore(recordedIn: "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64 core=Zen") == "Zen")
        #expect(GSL.openBLASCore(recordedIn: "OpenBLAS 0.3.21 core=Cooperlake") == "Cooperlake")
        #expect(GSL.openBLASCore(recordedIn: "OpenBLAS 0.3.21 DYNAMIC_ARCH") == nil)
        #expect(GSL.openBLASCore(recordedIn: "core=") == nil)
        #expect(GSL.openBLASConfig.hasSuffix("core=\(GSL.openBLASCore)"))
    }

    /// The kernels OpenBLAS chose for this CPU run on it, and so do the older families they
    /// extend; a name OpenBLAS does not have is never runnable.
    @Test func thisCPUCanRunTheKernelsChosenForIt() {
        let known = ["Prescott", "Core2", "Nehalem", "Sandybridge", "Haswell", "Zen", "SkylakeX", "Cooperlake"]
        if known.contains(where: { $0.caseInsensitiveCompare(GSL.openBLASCore) == .orderedSame }) {
            #expect(GSL.canRunOpenBLASCore(GSL.openBLASCore))
            #expect(GSL.canRunOpenBLASCore("Prescott"))
        }
        if GSL.canRunOpenBLASCore("Cooperlake") { #expect(GSL.canRunOpenBLASCore("SkylakeX") && GSL.canRunOpenBLASCore("Haswell")) }
        #expect(!GSL.canRunOpenBLASCore("NoSuchCore"))
    }
}
