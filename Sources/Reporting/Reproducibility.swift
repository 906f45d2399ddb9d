import Foundation

/// Which fields of a run record may differ between two runs of the same configuration.
public enum Reproducibility {
    /// True for fields that measure time or describe the machine: the `environment` block,
    /// every key ending in `_seconds` or `_per_second`, and every key starting with `wall_`.
    public static func isVolatile(key: String) -> Bool {
        key == "environment" || key.hasSuffix("_seconds") || key.hasSuffix("_per_second") || key.hasPrefix("wall_")
    }

    /// A JSON value with every volatile field removed, for comparing two records.
    public static func stripVolatile(_ value: Any) -> Any {
        if let dict = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, v) in dict where !isVolatile(key: k) { out[k] = stripVolatile(v) }
            return out
        }
        if let array = value as? [Any] { return array.map(stripVolatile) }
        return value
    }

    /// The paths (e.g. `samplers[0].metrics.tv`) at which two JSON documents differ, volatile fields ignored.
    public static func differences(_ a: Data, _ b: Data) throws -> [String] {
        let x = stripVolatile(try JSONSerialization.jsonObject(with: a))
        let y = stripVolatile(try JSONSerialization.jsonObject(with: b))
        var out: [String] = []
        diff(x, y, path: "", into: &out)
        return out
    }

    static func diff(_ a: Any, _ b: Any, path: String, into out: inout [String]) {
        if let da = a as? [String: Any], let db = b as? [String: Any] {
            for k in Set(da.keys).union(db.keys).sorted() {
                let p = path.isEmpty ? k : "\(path).\(k)"
                guard let va = da[k], let vb = db[k] else { out.append(p); continue }
                diff(va, vb, path: p, into: &out)
            }
        } else if let aa = a as? [Any], let ab = b as? [Any] {
            if aa.count != ab.count { out.append(path); return }
            for i in aa.indices { diff(aa[i], ab[i], path: "\(path)[\(i)]", into: &out) }
        } else if !scalarsEqual(a, b) {
            out.append(path)
        }
    }

    static func scalarsEqual(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (x as String, y as String): return x == y
        case let (x as NSNumber, y as NSNumber): return x == y
        case (is NSNull, is NSNull): return true
        default: return false
        }
    }
}
