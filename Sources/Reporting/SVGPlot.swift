import Foundation

/// A small, dependency-free SVG line/marker plot: axes with ticks, labels, a legend. Output is
/// well-formed XML that renders in browsers and in GitHub's Markdown view.
public struct SVGPlot {
    public enum Style { case line, markers, lineAndMarkers }

    public struct Series {
        public var name: String
        public var points: [(Double, Double)]
        public var style: Style
        public init(name: String, points: [(Double, Double)], style: Style = .line) { self.name = name; self.points = points; self.style = style }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logX = false
    public var logY = false
    public var series: [Series] = []

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    let width = 820.0, height = 420.0
    let left = 70.0, right = 300.0, top = 40.0, bottom = 55.0

    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logX = logX; self.logY = logY
    }

    func usable(_ p: (Double, Double)) -> Bool {
        p.0.isFinite && p.1.isFinite && (!logX || p.0 > 0) && (!logY || p.1 > 0)
    }

    public func render() -> String {
        let pts = series.flatMap { $0.points.filter(usable) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"white\"/>\n"
        out += text(width / 2 - right / 2 + left / 2, 22, title, anchor: "middle", size: 14)
        guard !pts.isEmpty else {
            out += text(width / 2, height / 2, "no data", anchor: "middle")
            return out + "</svg>\n"
        }
        let tx = { (v: Double) in self.logX ? log10(v) : v }, ty = { (v: Double) in self.logY ? log10(v) : v }
        var (x0, x1) = (pts.map { tx($0.0) }.min()!, pts.map { tx($0.0) }.max()!)
        var (y0, y1) = (pts.map { ty($0.1) }.min()!, pts.map { ty($0.1) }.max()!)
        if x1 - x0 < 1e-12 { x0 -= 0.5; x1 += 0.5 }
        if y1 - y0 < 1e-12 { y0 -= 0.5; y1 += 0.5 }
        let padY = (y1 - y0) * 0.05
        y0 -= padY; y1 += padY
        let plotW = width - left - right, plotH = height - top - bottom
        let sx = { (v: Double) in self.left + (tx(v) - x0) / (x1 - x0) * plotW }
        let sy = { (v: Double) in self.top + plotH - (ty(v) - y0) / (y1 - y0) * plotH }
        // Frame, ticks, grid.
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"black\"/>\n"
        for t in ticks(x0, x1, log: logX) {
            let px = left + (t - x0) / (x1 - x0) * plotW
            out += "<line x1=\"\(f(px))\" y1=\"\(f(top))\" x2=\"\(f(px))\" y2=\"\(f(top + plotH))\" stroke=\"#e0e0e0\"/>\n"
            out += text(px, top + plotH + 16, label(t, log: logX), anchor: "middle")
        }
        for t in ticks(y0, y1, log: logY) {
            let py = top + plotH - (t - y0) / (y1 - y0) * plotH
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py))\" stroke=\"#e0e0e0\"/>\n"
            out += text(left - 6, py + 4, label(t, log: logY), anchor: "end")
        }
        out += text(left + plotW / 2, height - 12, xLabel + (logX ? " (log scale)" : ""), anchor: "middle")
        out += "<text x=\"16\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(top + plotH / 2)))\">\(escape(yLabel + (logY ? " (log scale)" : "")))</text>\n"
        // Series and legend.
        for (i, s) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let p = s.points.filter(usable)
            if s.style != .markers && p.count > 1 {
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"" + p.map { "\(f(sx($0.0))),\(f(sy($0.1)))" }.joined(separator: " ") + "\"/>\n"
            }
            if s.style != .line || p.count == 1 {
                for q in p { out += "<circle cx=\"\(f(sx(q.0)))\" cy=\"\(f(sy(q.1)))\" r=\"3\" fill=\"\(color)\"/>\n" }
            }
            let ly = top + 10 + Double(i) * 18
            out += "<line x1=\"\(f(width - right + 12))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 32))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            out += text(width - right + 38, ly + 4, s.name, anchor: "start")
        }
        return out + "</svg>\n"
    }

    func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
        if log {
            let a = Int(lo.rounded(.up)), b = Int(hi.rounded(.down))
            if a <= b { return (a...b).map(Double.init) }
            return [lo, hi]
        }
        let raw = (hi - lo) / 5
        let mag = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi + 1e-12 * step { out.append(t); t += step }
        return out
    }

    func label(_ t: Double, log: Bool) -> String {
        if log { return "1e\(Int(t.rounded()))" }
        return abs(t) < 1e-12 ? "0" : MarkdownReport.fmt(t)
    }

    func text(_ x: Double, _ y: Double, _ s: String, anchor: String, size: Int = 12) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\">\(escape(s))</text>\n"
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The report's plots, drawn from the run record alone.
public enum ReportPlots {
    /// Each sampler's name in plot legends.
    public static let samplerLabel = ["mh": "Metropolis-Hastings", "gfn": "GFlowNet", "gfn-mh": "GFlowNet inside MH"]
    /// File name → SVG text.
    public static func render(_ r: RunRecord) -> [String: String] {
        var files: [String: String] = [:]
        let label = samplerLabel
        let curves = r.samplers.compactMap { s in s.metrics.curve.map { (s.name, $0) } }
        if !curves.isEmpty {
            var byEval = SVGPlot(title: "Distance to the target against energy evaluations", xLabel: "energy evaluations", yLabel: "TV", logX: true, logY: true)
            var byTime = SVGPlot(title: "Distance to the target against wall time", xLabel: "wall time (s)", yLabel: "TV", logX: true, logY: true)
            for (name, c) in curves {
                let n = "\(label[name] ?? name) (\(c.measure))"
                byEval.series.append(.init(name: n, points: zip(c.energyEvaluations, c.tv).map { (Double($0), $1) }, style: .lineAndMarkers))
                byTime.series.append(.init(name: n, points: zip(c.wallSeconds, c.tv).map { ($0, $1) }, style: .lineAndMarkers))
            }
            files["tv-vs-evaluations.svg"] = byEval.render()
            files["tv-vs-time.svg"] = byTime.render()
        }
        if let t = r.samplers.first(where: { $0.training != nil })?.training, !t.loss.isEmpty {
            var p = SVGPlot(title: "GFlowNet training loss", xLabel: "iteration", yLabel: "loss", logY: true)
            p.series.append(.init(name: "loss", points: zip(t.iteration, t.loss).map { (Double($0), $1) }))
            files["training-loss.svg"] = p.render()
        }
        if let exact = r.exact.marginalsUp {
            var p = SVGPlot(title: "Per-site marginals P(s_i = +1)", xLabel: "exact", yLabel: "estimated")
            let lo = exact.min() ?? 0, hi = exact.max() ?? 1
            p.series.append(.init(name: "exact (diagonal)", points: [(lo, lo), (hi, hi)]))
            for s in r.samplers { if let est = s.metrics.marginalsUp { p.series.append(.init(name: label[s.name] ?? s.name, points: Array(zip(exact, est)), style: .markers)) } }
            files["marginals.svg"] = p.render()
        }
        if let levels = r.exact.energyLevels, let probs = r.exact.energyLevelProbabilities {
            var p = SVGPlot(title: "Energy histogram", xLabel: "energy E", yLabel: "probability", logY: true)
            p.series.append(.init(name: "exact", points: Array(zip(levels, probs)), style: .lineAndMarkers))
            for s in r.samplers { if let h = s.metrics.energyHistogram { p.series.append(.init(name: label[s.name] ?? s.name, points: Array(zip(levels, h)), style: .markers)) } }
            files["energy-histogram.svg"] = p.render()
        }
        if let mp = r.exact.magnetizationProbabilities {
            let offset = mp.count / 2
            // Only the values M can take (same parity as n for spins ±1) carry mass.
            let support = mp.indices.filter { mp[$0] > 0 }
            var p = SVGPlot(title: "Magnetisation histogram", xLabel: "M = Σ s_i", yLabel: "probability")
            p.series.append(.init(name: "exact", points: support.map { (Double($0 - offset), mp[$0]) }, style: .lineAndMarkers))
            for s in r.samplers {
                if let h = s.metrics.magnetizationHistogram, h.count == mp.count {
                    p.series.append(.init(name: label[s.name] ?? s.name, points: support.map { (Double($0 - offset), h[$0]) }, style: .markers))
                }
            }
            files["magnetization-histogram.svg"] = p.render()
        }
        return files
    }
}
