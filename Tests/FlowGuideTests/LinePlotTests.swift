import Foundation
import Testing
@testable import FlowGuide

/// Parses a line-plot SVG with python's xml.etree (a parse error fails the test) and summarises
/// it as JSON: title, plot area, tick labels, axis labels, legend names, and per series its
/// name, dash pattern, polyline points, markers and error bars.
private let lineSummaryScript = """
    import sys, json, xml.etree.ElementTree as ET
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(sys.argv[1]).getroot()
    assert root.tag == ns + "svg", root.tag
    area = [r for r in root.iter(ns + "rect") if r.get("class") == "plot-area"][0]
    series = [g for g in root.iter(ns + "g") if g.get("class") == "series"]
    legend = [g for g in root.iter(ns + "g") if g.get("class") == "legend"]
    def pts(s): return [[float(v) for v in p.split(",")] for p in s.split()]
    print(json.dumps({
        "title": root.find(ns + "title").text or "",
        "area": [float(area.get(k)) for k in ("x", "y", "width", "height")],
        "ticks": [t.text for t in root.iter(ns + "text") if t.get("class") == "tick"],
        "axisLabels": [t.text for t in root.iter(ns + "text") if t.get("class") == "axis-label"],
        "legend": [t.text for g in legend for t in g.iter(ns + "text")],
        "series": [{
            "name": g.get("data-name"),
            "dashed": g.find(ns + "polyline").get("stroke-dasharray") is not None,
            "polyline": pts(g.find(ns + "polyline").get("points")),
            "circles": [[float(c.get("cx")), float(c.get("cy"))] for c in g.iter(ns + "circle")],
            "bars": [[float(l.get(k)) for k in ("x1", "y1", "x2", "y2")]
                     for l in g.iter(ns + "line") if l.get("class") == "error-bar"],
        } for g in series],
    }))
    """

private struct LineSummary: Decodable {
    struct Series: Decodable {
        let name: String?
        let dashed: Bool
        let polyline: [[Double]]
        let circles: [[Double]]
        let bars: [[Double]]
    }
    let title: String
    let area: [Double]
    let ticks: [String]
    let axisLabels: [String]
    let legend: [String]
    let series: [Series]
}

private func summarise(_ plot: LinePlot) throws -> LineSummary {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("plot.svg")
    try plot.write(to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == plot.svg())
    let json = try runPython(lineSummaryScript, [url.path])
    return try JSONDecoder().decode(LineSummary.self, from: Data(json.utf8))
}

@Suite struct LinePlotTests {
    @Test func seriesPointsAndErrorBarsLandInsideThePlotArea() throws {
        var plot = LinePlot(title: "FD <vs> steps & more", xLabel: "steps", yLabel: "Fréchet",
                            xScale: .log2, yScale: .log10)
        try plot.add("Euler", x: [4, 8, 16, 32, 64], y: [2, 1, 0.5, 0.25, 0.125],
                     spread: [0.5, 0, 0.1, 0.3, 0.2])
        try plot.add("MG", x: [4, 8, 16, 32, 64], y: [1, 0.6, 0.4, 0.3, 0.2], dashed: true)
        try plot.add("", points: [LinePlot.Point(x: 16, y: 3, label: "w 2")])
        let s = try summarise(plot)

        #expect(s.title == "FD <vs> steps & more")
        #expect(s.series.count == 3)
        #expect(s.series.map(\.name) == ["Euler", "MG", nil])
        #expect(s.series.map(\.dashed) == [false, true, false])
        #expect(s.legend == ["Euler", "MG"])
        #expect(s.axisLabels == ["steps (log scale)", "Fréchet (log scale)"])
        #expect(s.series.map(\.circles.count) == [5, 5, 1])
        #expect(s.series[0].bars.count == 4)   // the zero spread draws no bar
        let (x0, y0, w, h) = (s.area[0], s.area[1], s.area[2], s.area[3])
        for series in s.series {
            #expect(series.polyline == series.circles)
            for p in series.circles {
                #expect(p[0] > x0 && p[0] < x0 + w && p[1] > y0 && p[1] < y0 + h)
            }
        }
        // log2 x: equal pixel gaps between doublings; x increases to the right.
        let xs = s.series[0].circles.map { $0[0] }
        let gaps = zip(xs.dropFirst(), xs).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 > 0 && abs($0 - gaps[0]) < 0.05 })
        // log10 y: halving y moves down by the same amount; larger y is higher (smaller pixel y).
        let ys = s.series[0].circles.map { $0[1] }
        #expect(zip(ys.dropFirst(), ys).allSatisfy { $0 > $1 })
        #expect(abs((ys[1] - ys[0]) - (ys[2] - ys[1])) < 0.05)
        // The error bar of point 0 spans y ± 0.5 around its marker.
        let bar = s.series[0].bars[0]
        #expect(bar[0] == xs[0] && bar[2] == xs[0])
        #expect(bar[1] > ys[0] && bar[3] < ys[0])
        #expect(["4", "8", "16", "32", "64"].allSatisfy(s.ticks.contains))
        #expect(s.ticks.contains("1"))
    }

    @Test func linearAxesPlaceValuesProportionally() throws {
        var plot = LinePlot(width: 500, height: 300)
        try plot.add("line", x: [0, 1, 3], y: [0, 10, 30], spread: [1, 1, 1])
        let s = try summarise(plot)
        let c = s.series[0].circles
        // x and y both linear: the middle point sits at 1/3 of the way in both directions.
        #expect(abs((c[1][0] - c[0][0]) / (c[2][0] - c[0][0]) - 1.0 / 3) < 0.01)
        #expect(abs((c[1][1] - c[0][1]) / (c[2][1] - c[0][1]) - 1.0 / 3) < 0.01)
        #expect(s.ticks.contains("0") && s.ticks.contains("30"))
        #expect(s.series[0].bars.count == 3)
        #expect(s.axisLabels.isEmpty)
    }

    @Test func singlePointSeriesIsWellFormed() throws {
        var plot = LinePlot(xScale: .log2, yScale: .log10)
        try plot.add("one", x: [8], y: [0.3])
        let s = try summarise(plot)
        #expect(s.series.count == 1 && s.series[0].circles.count == 1)
    }

    @Test(arguments: [
        (LinePlot.Scale.log2, LinePlot.Scale.linear, 0.0, 1.0),
        (.log10, .linear, -2, 1),
        (.linear, .log10, 1, 0),
        (.linear, .log2, 1, -0.5),
        (.linear, .linear, .nan, 1),
        (.linear, .linear, 1, .infinity),
    ])
    func rejectsValuesTheAxisCannotShow(xScale: LinePlot.Scale, yScale: LinePlot.Scale, x: Double, y: Double) {
        var plot = LinePlot(xScale: xScale, yScale: yScale)
        #expect(throws: LinePlotError.self) { try plot.add("bad", x: [1, x], y: [1, y]) }
        #expect(plot.series.isEmpty)
    }

    @Test func rejectsBadSeries() throws {
        var plot = LinePlot()
        let empty = #expect(throws: LinePlotError.self) { try plot.add("none", points: []) }
        #expect(empty?.message.contains("no points") == true)
        #expect(throws: LinePlotError.self) { try plot.add("counts", x: [1, 2], y: [1]) }
        #expect(throws: LinePlotError.self) { try plot.add("spreads", x: [1, 2], y: [1, 2], spread: [1]) }
        #expect(throws: LinePlotError.self) { try plot.add("negative", x: [1], y: [1], spread: [-1]) }
        #expect(throws: LinePlotError.self) { try plot.add("nan spread", x: [1], y: [1], spread: [.nan]) }
        #expect(plot.series.isEmpty)
        #expect(throws: LinePlotError.self) { try plot.svg() }
    }

    @Test func rejectsNonSVGExtensionsAndMissingDirectories() throws {
        var plot = LinePlot()
        try plot.add("a", x: [1], y: [1])
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["plot.png", "plot"] {
            let url = directory.appendingPathComponent(name)
            #expect(throws: LinePlotError.self) { try plot.write(to: url) }
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
        let missing = directory.appendingPathComponent("no-such-dir/plot.svg")
        let error = #expect(throws: LinePlotError.self) { try plot.write(to: missing) }
        #expect(error?.message.contains("No such file or directory") == true)
    }

    @Test func tickLabelsAndLogTicks() {
        #expect(LinePlotAxis.label(0.25) == "0.25")
        #expect(LinePlotAxis.label(64) == "64")
        #expect(LinePlotAxis.label(0.001) == "0.001")
        let narrow = LinePlotAxis(scale: .log10, values: [0.3, 4])
        #expect(narrow.ticks() == [0.5, 1, 2])
        let wide = LinePlotAxis(scale: .log2, values: [4, 64])
        #expect(wide.ticks() == [4, 8, 16, 32, 64])
    }
}
