import CGSL

/// Summary statistics over paired series.
public enum PairedStatistics {
    /// Pearson's correlation coefficient of two equally long series (`gsl_stats_correlation`);
    /// nil when they are shorter than 2, of different lengths, constant or not finite.
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count, a.count >= 2, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return nil }
        let r = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in gsl_stats_correlation(pa.baseAddress, 1, pb.baseAddress, 1, a.count) }
        }
        return r.isFinite ? r : nil
    }
}
