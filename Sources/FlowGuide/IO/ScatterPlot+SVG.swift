extension ScatterPlot {
    /// The plot as a standalone SVG document.
    ///
    /// Structure: a `<title>` (the title, plus a note counting skipped non-finite points), a
    /// white background, the title text, `<g class="axes">` (frame, tick marks and tick labels),
    /// one `<g class="series">` per added series holding exactly one `<circle>` per finite point,
    /// and `<g class="legend">` (square swatches, no circles) for series with a name.
    public func svg() -> String {
        let layout = PlotLayout(width: width, height: height, series: series)
        var out = Self.svgOpening(width: width, height: height, title: fullTitle)
        if !fullTitle.isEmpty {
            out += "<text x=\"\(Self.number(Double(width) / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(Self.escape(fullTitle))</text>\n"
        }
        out += axes(layout)
        for (index, s) in series.enumerated() {
            out += points(of: s, index: index, layout: layout)
        }
        out += legend(layout)
        out += "</svg>\n"
        return out
    }

    /// The title with the skipped-points note.
    var fullTitle: String {
        guard skippedPointCount > 0 else { return title }
        let note = "\(skippedPointCount) non-finite point\(skippedPointCount == 1 ? "" : "s") skipped"
        return title.isEmpty ? note : "\(title) (\(note))"
    }

    private func axes(_ layout: PlotLayout) -> String {
        let bottom = layout.top + layout.areaHeight
        var out = "<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">\n"
        out += "<rect x=\"\(Self.number(layout.left))\" y=\"\(Self.number(layout.top))\" width=\"\(Self.number(layout.areaWidth))\" height=\"\(Self.number(layout.areaHeight))\" fill=\"none\"/>\n"
        let xTicks = PlotLayout.ticks(layout.xMin, layout.xMax)
        for x in xTicks.values {
            let px = Self.number(layout.pixel(x: x, y: 0).x)
            out += "<line x1=\"\(px)\" y1=\"\(Self.number(bottom))\" x2=\"\(px)\" y2=\"\(Self.number(bottom + 5))\"/>\n"
            out += "<text x=\"\(px)\" y=\"\(Self.number(bottom + 18))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\">\(PlotLayout.format(x, decimals: xTicks.decimals))</text>\n"
        }
        let yTicks = PlotLayout.ticks(layout.yMin, layout.yMax)
        for y in yTicks.values {
            let py = Self.number(layout.pixel(x: 0, y: y).y)
            out += "<line x1=\"\(Self.number(layout.left - 5))\" y1=\"\(py)\" x2=\"\(Self.number(layout.left))\" y2=\"\(py)\"/>\n"
            out += "<text x=\"\(Self.number(layout.left - 8))\" y=\"\(py)\" text-anchor=\"end\" dominant-baseline=\"middle\" stroke=\"none\" fill=\"#333333\">\(PlotLayout.format(y, decimals: yTicks.decimals))</text>\n"
        }
        return out + "</g>\n"
    }

    private func points(of s: Series, index: Int, layout: PlotLayout) -> String {
        let r = Self.number(s.markerRadius)
        var out = "<g class=\"series\""
        if !s.name.isEmpty { out += " data-name=\"\(Self.escape(s.name))\"" }
        if s.labels == nil { out += " fill=\"\(Self.hex(seriesColour(index)))\"" }
        out += ">\n"
        for i in s.xs.indices {
            let p = layout.pixel(x: s.xs[i], y: s.ys[i])
            out += "<circle cx=\"\(Self.number(p.x))\" cy=\"\(Self.number(p.y))\" r=\"\(r)\""
            if let labels = s.labels { out += " fill=\"\(Self.hex(Self.colour(label: labels[i])))\"" }
            out += "/>\n"
        }
        return out + "</g>\n"
    }

    /// One row per named series: a swatch per colour used (up to 10), then the name, on a
    /// translucent white box in the top-left corner of the plot area.
    private func legend(_ layout: PlotLayout) -> String {
        var rows = ""
        var y = layout.top + 8, widest = 0.0
        for (index, s) in series.enumerated() where !s.name.isEmpty {
            var colours = [seriesColour(index)]
            if let labels = s.labels {
                colours = Set(labels.map { (($0 % 10) + 10) % 10 }).sorted().map { Self.palette[$0] }
            }
            var x = layout.left + 8
            for colour in colours {
                rows += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"8\" height=\"8\" fill=\"\(Self.hex(colour))\"/>\n"
                x += 10
            }
            rows += "<text x=\"\(Self.number(x + 4))\" y=\"\(Self.number(y + 8))\" fill=\"#333333\">\(Self.escape(s.name))</text>\n"
            widest = max(widest, x + 4 + 6.5 * Double(s.name.count) - layout.left)
            y += 14
        }
        guard !rows.isEmpty else { return "" }
        let box = "<rect x=\"\(Self.number(layout.left + 2))\" y=\"\(Self.number(layout.top + 2))\" width=\"\(Self.number(widest + 6))\" height=\"\(Self.number(y - layout.top))\" fill=\"white\" fill-opacity=\"0.8\"/>\n"
        return "<g class=\"legend\">\n" + box + rows + "</g>\n"
    }

    // MARK: - Text helpers

    /// The opening of a standalone SVG document (shared by ScatterPlot and LinePlot): the XML
    /// declaration, the `<svg>` element, the `<title>` and a white background.
    static func svgOpening(width: Int, height: Int, title: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
        viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="11">
        <title>\(escape(title))</title>
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="white"/>

        """
    }

    static func number(_ value: Double) -> String {
        var text = PlotLayout.format(value, decimals: 2)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func hex(_ colour: (UInt8, UInt8, UInt8)) -> String {
        let digits = Array("0123456789abcdef")
        return "#" + String([colour.0, colour.1, colour.2].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case _ where c.value < 0x20 && c != "\t" && c != "\n": out += " "  // not allowed in XML 1.0
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
