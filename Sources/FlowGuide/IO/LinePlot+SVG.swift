#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LinePlot {
    /// The plot as a standalone SVG document; throws if it has no series.
    ///
    /// Structure: a `<title>`, a white background, the title text, `<g class="axes">` (the plot
    /// area `<rect class="plot-area">`, tick marks, tick labels `<text class="tick">` and the axis
    /// labels), one `<g class="series" data-name=…>` per series holding a `<polyline>`, one
    /// `<line class="error-bar">` per point with a positive spread and one `<circle>` per point,
    /// and `<g class="legend">` right of the plot area (one row per named series).
    public func svg() throws -> String {
        guard !series.isEmpty else { throw LinePlotError(message: "the plot has no series") }
        let layout = LinePlotLayout(self)
        var out = ScatterPlot.svgOpening(width: width, height: height, title: title)
        if !title.isEmpty {
            let centre = layout.left + layout.areaWidth / 2
            out += "<text x=\"\(n(centre))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(ScatterPlot.escape(title))</text>\n"
        }
        out += axes(layout)
        for (index, s) in series.enumerated() {
            out += lines(of: s, colour: ScatterPlot.hex(ScatterPlot.palette[index % 10]), layout: layout)
        }
        out += legend(layout)
        out += "</svg>\n"
        return out
    }

    private func n(_ value: Double) -> String { ScatterPlot.number(value) }

    private func axes(_ layout: LinePlotLayout) -> String {
        let bottom = layout.top + layout.areaHeight
        var out = "<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">\n"
        out += "<rect class=\"plot-area\" x=\"\(n(layout.left))\" y=\"\(n(layout.top))\" width=\"\(n(layout.areaWidth))\" height=\"\(n(layout.areaHeight))\" fill=\"none\"/>\n"
        for x in layout.x.ticks() {
            let px = n(layout.pixelX(x))
            out += "<line x1=\"\(px)\" y1=\"\(n(bottom))\" x2=\"\(px)\" y2=\"\(n(bottom + 5))\"/>\n"
            out += "<text class=\"tick\" x=\"\(px)\" y=\"\(n(bottom + 18))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\">\(LinePlotAxis.label(x))</text>\n"
        }
        for y in layout.y.ticks() {
            let py = n(layout.pixelY(y))
            out += "<line x1=\"\(n(layout.left - 5))\" y1=\"\(py)\" x2=\"\(n(layout.left))\" y2=\"\(py)\"/>\n"
            out += "<line x1=\"\(n(layout.left))\" y1=\"\(py)\" x2=\"\(n(layout.left + layout.areaWidth))\" y2=\"\(py)\" stroke=\"#e4e4e4\"/>\n"
            out += "<text class=\"tick\" x=\"\(n(layout.left - 8))\" y=\"\(py)\" text-anchor=\"end\" dominant-baseline=\"middle\" stroke=\"none\" fill=\"#333333\">\(LinePlotAxis.label(y))</text>\n"
        }
        if !xLabel.isEmpty {
            out += "<text class=\"axis-label\" x=\"\(n(layout.left + layout.areaWidth / 2))\" y=\"\(n(bottom + 36))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\" font-size=\"12\">\(ScatterPlot.escape(xLabel + layout.x.suffix))</text>\n"
        }
        if !yLabel.isEmpty {
            let cx = 16.0, cy = layout.top + layout.areaHeight / 2
            out += "<text class=\"axis-label\" x=\"\(n(cx))\" y=\"\(n(cy))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\" font-size=\"12\" transform=\"rotate(-90 \(n(cx)) \(n(cy)))\">\(ScatterPlot.escape(yLabel + layout.y.suffix))</text>\n"
        }
        return out + "</g>\n"
    }

    private func lines(of s: Series, colour: String, layout: LinePlotLayout) -> String {
        var out = "<g class=\"series\""
        if !s.name.isEmpty { out += " data-name=\"\(ScatterPlot.escape(s.name))\"" }
        out += " stroke=\"\(colour)\" fill=\"\(colour)\">\n"
        let coordinates = s.points.map { "\(n(layout.pixelX($0.x))),\(n(layout.pixelY($0.y)))" }
        out += "<polyline points=\"\(coordinates.joined(separator: " "))\" fill=\"none\" stroke-width=\"1.8\""
        if s.dashed { out += " stroke-dasharray=\"6 4\"" }
        out += "/>\n"
        for p in s.points where p.spread > 0 {
            let px = layout.pixelX(p.x)
            let high = layout.pixelY(p.y + p.spread)
            // On a log axis the lower end may be ≤ 0: the bar then runs to the bottom edge.
            let low = layout.y.scale == .linear || p.y - p.spread > 0
                ? layout.pixelY(p.y - p.spread) : layout.top + layout.areaHeight
            out += "<line class=\"error-bar\" x1=\"\(n(px))\" y1=\"\(n(low))\" x2=\"\(n(px))\" y2=\"\(n(high))\" stroke-width=\"1\"/>\n"
            for y in [low, high] {
                out += "<line x1=\"\(n(px - 3))\" y1=\"\(n(y))\" x2=\"\(n(px + 3))\" y2=\"\(n(y))\" stroke-width=\"1\"/>\n"
            }
        }
        for p in s.points {
            out += "<circle cx=\"\(n(layout.pixelX(p.x)))\" cy=\"\(n(layout.pixelY(p.y)))\" r=\"3\"/>\n"
        }
        for p in s.points where !p.label.isEmpty {
            out += "<text x=\"\(n(layout.pixelX(p.x) + 5))\" y=\"\(n(layout.pixelY(p.y) - 5))\" stroke=\"none\" font-size=\"9\">\(ScatterPlot.escape(p.label))</text>\n"
        }
        return out + "</g>\n"
    }

    /// One row per named series right of the plot area: a line sample (dashed if the series
    /// is), a marker, the name.
    private func legend(_ layout: LinePlotLayout) -> String {
        var out = ""
        var y = layout.top + 6
        let x = layout.left + layout.areaWidth + 12
        for (index, s) in series.enumerated() where !s.name.isEmpty {
            let colour = ScatterPlot.hex(ScatterPlot.palette[index % 10])
            out += "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 22))\" y2=\"\(n(y))\" stroke=\"\(colour)\" stroke-width=\"1.8\""
            if s.dashed { out += " stroke-dasharray=\"6 4\"" }
            out += "/>\n"
            out += "<circle cx=\"\(n(x + 11))\" cy=\"\(n(y))\" r=\"3\" fill=\"\(colour)\"/>\n"
            out += "<text x=\"\(n(x + 28))\" y=\"\(n(y + 4))\" fill=\"#333333\">\(ScatterPlot.escape(s.name))</text>\n"
            y += 16
        }
        return out.isEmpty ? "" : "<g class=\"legend\">\n" + out + "</g>\n"
    }
}

/// Where a ``LinePlot``'s data lands: the plot area (leaving room on the right for the legend)
/// and one ``LinePlotAxis`` per direction.
struct LinePlotLayout {
    let left: Double, top: Double, areaWidth: Double, areaHeight: Double
    let x: LinePlotAxis, y: LinePlotAxis

    init(_ plot: LinePlot) {
        let longestName = plot.series.map(\.name.count).max() ?? 0
        let legendWidth = longestName > 0 ? 52 + 7.5 * Double(longestName) : 16  // ~7.5 px per glyph at 12 px, capitals included
        left = 66
        top = 36
        areaWidth = max(Double(plot.width) - left - legendWidth, 40)
        areaHeight = max(Double(plot.height) - top - (plot.xLabel.isEmpty ? 32 : 50), 40)
        let points = plot.series.flatMap(\.points)
        x = LinePlotAxis(scale: plot.xScale, values: points.map(\.x))
        var ys = points.map(\.y)
        for p in points where p.spread > 0 {
            ys.append(p.y + p.spread)
            if plot.yScale == .linear || p.y - p.spread > 0 { ys.append(p.y - p.spread) }
        }
        y = LinePlotAxis(scale: plot.yScale, values: ys)
    }

    func pixelX(_ value: Double) -> Double { left + x.fraction(value) * areaWidth }
    func pixelY(_ value: Double) -> Double { top + (1 - y.fraction(value)) * areaHeight }
}

/// One axis: its scale and the shown range in transformed units (log of the value on a log
/// axis), padded by 5% on each side.
struct LinePlotAxis {
    let scale: LinePlot.Scale
    /// The shown range, in transformed units.
    let low: Double, high: Double

    init(scale: LinePlot.Scale, values: [Double]) {
        self.scale = scale
        let transformed = values.map { Self.transform($0, scale) }
        (low, high) = PlotLayout.paddedRange(transformed)
    }

    static func transform(_ value: Double, _ scale: LinePlot.Scale) -> Double {
        switch scale {
        case .linear: value
        case .log2: log2(value)
        case .log10: log10(value)
        }
    }

    static func inverse(_ value: Double, _ scale: LinePlot.Scale) -> Double {
        switch scale {
        case .linear: value
        case .log2: pow(2, value)
        case .log10: pow(10, value)
        }
    }

    /// Where `value` lies in the shown range: 0 at the low end, 1 at the high end.
    func fraction(_ value: Double) -> Double {
        (Self.transform(value, scale) - low) / (high - low)
    }

    /// Appended to the axis label to say the axis is logarithmic.
    var suffix: String {
        switch scale {
        case .linear: ""
        case .log2: " (log scale)"
        case .log10: " (log scale)"
        }
    }

    /// Tick values (data units) inside the shown range: "nice" linear ticks, powers of the base
    /// on a log axis (with 2× and 5× decades on a narrow log10 axis, linear ticks on a very
    /// narrow log axis).
    func ticks() -> [Double] {
        let (lo, hi) = (Self.inverse(low, scale), Self.inverse(high, scale))
        guard scale != .linear else { return PlotLayout.ticks(lo, hi).values }
        var values: [Double] = []
        for k in Int(low.rounded(.up))...max(Int(low.rounded(.up)), Int(high.rounded(.down))) {
            let v = Self.inverse(Double(k), scale)
            if v >= lo, v <= hi { values.append(v) }
        }
        if scale == .log10, values.count < 3 {
            var dense: [Double] = []
            for k in Int(low.rounded(.down))...Int(high.rounded(.up)) {
                for m in [1.0, 2, 5] {
                    let v = m * pow(10, Double(k))
                    if v >= lo, v <= hi { dense.append(v) }
                }
            }
            values = dense
        }
        if values.count < 2 {
            values = PlotLayout.ticks(lo, hi, target: 4).values.filter { $0 > 0 }
        }
        return values
    }

    /// A tick label: up to 6 decimals, trailing zeros removed (0.25, 4, 1000, 0.001).
    static func label(_ value: Double) -> String {
        if value != 0, abs(value) < 1e-6 || abs(value) >= 1e12 { return String(value) }
        var text = PlotLayout.format(value, decimals: 6)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
