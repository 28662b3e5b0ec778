import Foundation
import Testing
@testable import FlowGuide

/// Parses an SVG with python's xml.etree (a parse error fails the test) and summarises it as
/// JSON: the title, the tick labels, and per series group its circles (cx, cy, r, fill).
private let svgSummaryScript = """
    import sys, json, xml.etree.ElementTree as ET
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(sys.argv[1]).getroot()
    assert root.tag == ns + "svg", root.tag
    axes = [g for g in root.iter(ns + "g") if g.get("class") == "axes"]
    series = [g for g in root.iter(ns + "g") if g.get("class") == "series"]
    print(json.dumps({
        "title": root.find(ns + "title").text or "",
        "circles": len(list(root.iter(ns + "circle"))),
        "ticks": [t.text for g in axes for t in g.iter(ns + "text")],
        "series": [{"fill": g.get("fill"), "name": g.get("data-name"),
                    "circles": [[float(c.get("cx")), float(c.get("cy")), float(c.get("r")), c.get("fill")]
                                for c in g.iter(ns + "circle")]} for g in series],
    }))
    """

/// Decodes a PNG with zlib and struct only: checks the signature, every chunk's CRC-32, the
/// IHDR, the zlib stream (zlib.decompress checks the Adler-32) and the scanline filters, then
/// prints the width, the height and the RGB of each requested pixel (x y pairs in argv).
private let pngDecodeScript = """
    import sys, zlib, struct
    data = open(sys.argv[1], "rb").read()
    assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "bad signature"
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind}"
        chunks.append((kind, body))
        pos += 12 + length
    assert pos == len(data), "trailing bytes"
    assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    w, h, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, comp, filt, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    assert len(raw) == h * (3 * w + 1), "wrong image data size"
    assert all(raw[y * (3 * w + 1)] == 0 for y in range(h)), "unexpected filter"
    out = [w, h]
    args = [int(a) for a in sys.argv[2:]]
    for x, y in zip(args[::2], args[1::2]):
        i = y * (3 * w + 1) + 1 + 3 * x
        out.append("%02x%02x%02x" % tuple(raw[i:i + 3]))
    print(" ".join(map(str, out)))
    """

private struct SVGSummary: Decodable {
    struct Series: Decodable {
        let fill: String?
        let name: String?
        let circles: [[Circle]]
    }
    let title: String
    let circles: Int
    let ticks: [String]
    let series: [Series]
}

/// A circle's cx, cy, r (numbers) or fill (a string or null).
private enum Circle: Decodable {
    case number(Double), text(String?)
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let n = try? container.decode(Double.self) { self = .number(n) } else { self = .text(try? container.decode(String.self)) }
    }
    var number: Double { if case .number(let n) = self { n } else { .nan } }
    var text: String? { if case .text(let t) = self { t } else { nil } }
}

private func summarise(_ plot: ScatterPlot) throws -> SVGSummary {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("plot.svg")
    try plot.write(to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == plot.svg())
    let json = try runPython(svgSummaryScript, [url.path])
    return try JSONDecoder().decode(SVGSummary.self, from: Data(json.utf8))
}

@Suite struct ScatterPlotTests {
    @Test func svgIsWellFormedWithOneCirclePerFinitePoint() throws {
        var samples = randomMatrix(rows: 200, columns: 2, seed: 5)
        samples[3, 0] = .nan
        samples[10, 1] = .infinity
        samples[11, 0] = -.infinity
        var plot = ScatterPlot(title: "MG <w = 2> & \"friends\"")
        try plot.add(randomMatrix(rows: 50, columns: 2, seed: 6), name: "ground truth")
        try plot.add(samples, labels: (0..<200).map { $0 % 13 - 2 }, name: "samples", markerRadius: 2)

        let summary = try summarise(plot)
        #expect(summary.circles == 50 + 197)
        #expect(summary.title == "MG <w = 2> & \"friends\" (3 non-finite points skipped)")
        #expect(summary.ticks.count >= 6)
        #expect(summary.series.map(\.name) == ["ground truth", "samples"])
        // Ground truth in grey behind labelled samples; samples coloured by label mod 10.
        #expect(summary.series[0].fill == "#bbbbbb")
        #expect(summary.series[1].fill == nil)
        let fills = summary.series[1].circles.map { $0[3].text }
        #expect(fills[0] == ScatterPlot.hex(ScatterPlot.palette[8]))   // label -2 -> 8
        #expect(fills[4] == ScatterPlot.hex(ScatterPlot.palette[3]))   // row 5 (row 3 is skipped): label 3
        #expect(Set(fills.compactMap { $0 }).count == 10)
        #expect(summary.series[1].circles.allSatisfy { $0[2].number == 2 })
    }

    @Test func equalAspectRatioAndTicks() throws {
        var plot = ScatterPlot(width: 800, height: 400)
        // A wide, flat data set: x spans 100, y spans 1.
        try plot.add(Matrix([[0, 0], [100, 0], [0, 1], [50, 0.5]]), name: "pts")
        let summary = try summarise(plot)
        let c = summary.series[0].circles.map { ($0[0].number, $0[1].number) }
        let pixelsPerX = (c[1].0 - c[0].0) / 100, pixelsPerY = (c[0].1 - c[2].1) / 1
        #expect(abs(pixelsPerX - pixelsPerY) < 0.05)
        #expect(pixelsPerX > 0)
        // Every point inside the canvas.
        #expect(c.allSatisfy { $0.0 > 0 && $0.0 < 800 && $0.1 > 0 && $0.1 < 400 })
        #expect(summary.ticks.contains("0") && summary.ticks.contains("100"))
        #expect(summary.title == "")
    }

    @Test func unlabelledSeriesGetDistinctColoursWithoutLabels() throws {
        var plot = ScatterPlot()
        try plot.add(Matrix([[0, 0]]))
        try plot.add(Matrix([[1, 1]]))
        let summary = try summarise(plot)
        #expect(summary.series.map(\.fill) == [ScatterPlot.hex(ScatterPlot.palette[0]), ScatterPlot.hex(ScatterPlot.palette[1])])
    }

    @Test func emptyPlotIsWellFormed() throws {
        var plot = ScatterPlot(title: "empty")
        try plot.add(Matrix(rows: 2, columns: 2, repeating: .nan))
        let summary = try summarise(plot)
        #expect(summary.circles == 0)
        #expect(summary.title == "empty (2 non-finite points skipped)")
    }

    @Test func pngDecodesWithExpectedPixels() throws {
        var plot = ScatterPlot(title: "ignored in PNG", width: 300, height: 200)
        let points = try Matrix([[0, 0], [4, 3], [-2, 1]])
        try plot.add(points, labels: [2, 15, 7], markerRadius: 6)
        let layout = PlotLayout(width: 300, height: 200, series: plot.series)
        var probes: [Int] = [2, 2]   // background
        for i in 0..<3 {
            let p = layout.pixel(x: Double(points[i, 0]), y: Double(points[i, 1]))
            probes += [Int(p.x), Int(p.y)]
        }
        probes += [Int(layout.left), Int(layout.top + 10)]   // the frame

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("plot.PNG")
        try plot.write(to: url)
        #expect(try Data(contentsOf: url) == Data(plot.png()))
        let output = try runPython(pngDecodeScript, [url.path] + probes.map(String.init))
        let expected = ["300", "200", "ffffff"] + [2, 5, 7].map { String(ScatterPlot.hex(ScatterPlot.palette[$0]).dropFirst()) } + ["333333"]
        #expect(output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == expected)
    }

    @Test func largePNGSpansSeveralStoredBlocks() throws {
        var plot = ScatterPlot()
        try plot.add(randomMatrix(rows: 1000, columns: 2, seed: 9), labels: Array(0..<1000))
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("big.png")
        try plot.write(to: url)
        #expect(plot.png().count > 640 * 640 * 3)   // stored, not compressed: > 18 blocks of 64 KiB
        #expect(try runPython(pngDecodeScript, [url.path]) == "640 640\n")
    }

    @Test func checksumsMatchKnownValues() {
        #expect(PNGEncoder.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNGEncoder.adler32([UInt8](repeating: 255, count: 100_000)) == 0x149A_302C)   // zlib.adler32(b"\xff" * 100000)
    }

    @Test func rejectsWrongColumnsAndLabelCount() throws {
        var plot = ScatterPlot()
        #expect(throws: ScatterPlotError.self) { try plot.add(Matrix(rows: 3, columns: 3)) }
        #expect(throws: ScatterPlotError.self) { try plot.add(Matrix(rows: 3, columns: 1)) }
        #expect(throws: ScatterPlotError.self) { try plot.add(Matrix(rows: 3, columns: 2), labels: [1, 2]) }
        #expect(throws: ScatterPlotError.self) { try plot.add(Matrix(rows: 3, columns: 2), markerRadius: -1) }
        #expect(plot.series.isEmpty)
    }

    @Test(arguments: ["plot.jpg", "plot", "plot.svg.txt", "plot.npy"])
    func rejectsUnknownExtensions(name: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        let error = #expect(throws: ScatterPlotError.self) { try ScatterPlot().write(to: url) }
        #expect(error?.message.contains("expected .svg or .png") == true)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func writeToMissingDirectoryThrows() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)/plot.svg")
        let error = #expect(throws: ScatterPlotError.self) { try ScatterPlot().write(to: url) }
        #expect(error?.message.contains("No such file or directory") == true)
    }

    @Test func tickLabelFormatting() {
        #expect(PlotLayout.format(2.5, decimals: 1) == "2.5")
        #expect(PlotLayout.format(-0.04, decimals: 1) == "0.0")
        #expect(PlotLayout.format(-0.25, decimals: 2) == "-0.25")
        #expect(PlotLayout.format(0.05, decimals: 2) == "0.05")
        #expect(PlotLayout.format(100, decimals: 0) == "100")
        let ticks = PlotLayout.ticks(-1.3, 2.1)
        #expect(ticks.values == [-1, -0.5, 0, 0.5, 1, 1.5, 2])
        #expect(ticks.decimals == 1)
    }
}
