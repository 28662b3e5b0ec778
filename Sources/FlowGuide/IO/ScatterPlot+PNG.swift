extension ScatterPlot {
    /// The plot as a PNG file (8-bit RGB): white background, the plot frame with tick marks, and
    /// a filled disc per finite point. No text (titles, tick labels and the legend are SVG only).
    public func png() -> [UInt8] {
        PNGEncoder.encode(raster())
    }

    /// The PNG's pixels.
    func raster() -> RGBImage {
        let layout = PlotLayout(width: width, height: height, series: series)
        var image = RGBImage(width: width, height: height)
        let axis: (UInt8, UInt8, UInt8) = (0x33, 0x33, 0x33)
        let left = Int(layout.left), top = Int(layout.top)
        let right = Int(layout.left + layout.areaWidth), bottom = Int(layout.top + layout.areaHeight)
        image.line(from: (left, top), to: (right, top), colour: axis)
        image.line(from: (left, bottom), to: (right, bottom), colour: axis)
        image.line(from: (left, top), to: (left, bottom), colour: axis)
        image.line(from: (right, top), to: (right, bottom), colour: axis)
        for x in PlotLayout.ticks(layout.xMin, layout.xMax).values {
            let px = Int(layout.pixel(x: x, y: 0).x)
            image.line(from: (px, bottom), to: (px, bottom + 5), colour: axis)
        }
        for y in PlotLayout.ticks(layout.yMin, layout.yMax).values {
            let py = Int(layout.pixel(x: 0, y: y).y)
            image.line(from: (left - 5, py), to: (left, py), colour: axis)
        }
        for (index, s) in series.enumerated() {
            let single = seriesColour(index)
            for i in s.xs.indices {
                let p = layout.pixel(x: s.xs[i], y: s.ys[i])
                let colour = s.labels.map { Self.colour(label: $0[i]) } ?? single
                image.fillDisc(cx: p.x, cy: p.y, radius: s.markerRadius, colour: colour)
            }
        }
        return image
    }
}
