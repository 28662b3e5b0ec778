#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A scatter plot of 2-D samples, rendered as SVG (with axes, tick labels and a legend) or PNG
/// (discs and axes, no text).
///
/// Both renderings use an equal aspect ratio, so circles stay circles. Points coloured by label
/// use a fixed 10-colour palette (label mod 10). Series without labels get their own palette
/// colour, except when the plot also has a labelled series: then they are drawn in light grey,
/// the usual "ground truth behind coloured samples" picture. Series are drawn in the order added.
/// Points with a NaN or infinite coordinate are skipped and counted in the SVG title.
///
/// ```swift
/// var plot = ScatterPlot(title: "MG, w = 2")
/// try plot.add(groundTruth, name: "data")
/// try plot.add(samples, labels: components, name: "samples")
/// try plot.write(to: URL(fileURLWithPath: "samples.svg"))
/// ```
public struct ScatterPlot: Sendable {
    /// Shown above the plot (SVG only).
    public var title: String
    public let width: Int
    public let height: Int

    /// One `add` call: its finite points in pixel-independent data coordinates.
    struct Series: Sendable {
        var xs: [Double] = []
        var ys: [Double] = []
        var labels: [Int]?
        var name: String
        var markerRadius: Double
    }

    private(set) var series: [Series] = []
    /// Points skipped because a coordinate was NaN or infinite.
    private(set) var skippedPointCount = 0

    /// An empty plot of `width` × `height` pixels (at least 64 each).
    public init(title: String = "", width: Int = 640, height: Int = 640) {
        self.title = title
        self.width = max(width, 64)
        self.height = max(height, 64)
    }

    /// Adds points: a matrix with 2 columns (x, y), one point per row, coloured by `labels`
    /// (one per row; `nil` draws the series in one colour). `name`, if not empty, goes in the
    /// legend. Throws if `points` does not have 2 columns, `labels` has the wrong count, or the
    /// radius is not a finite non-negative number.
    public mutating func add(_ points: Matrix, labels: [Int]? = nil, name: String = "",
                             markerRadius: Double = 1.5) throws {
        guard points.columns == 2 else {
            throw ScatterPlotError(message: "expected points with 2 columns (x, y), got a [\(points.rows), \(points.columns)] matrix")
        }
        if let labels, labels.count != points.rows {
            throw ScatterPlotError(message: "\(labels.count) labels for \(points.rows) points")
        }
        guard markerRadius.isFinite, markerRadius >= 0 else {
            throw ScatterPlotError(message: "marker radius \(markerRadius) is not a finite non-negative number")
        }
        var added = Series(labels: labels == nil ? nil : [], name: name, markerRadius: markerRadius)
        for i in 0..<points.rows {
            let x = Double(points[i, 0]), y = Double(points[i, 1])
            guard x.isFinite, y.isFinite else {
                skippedPointCount += 1
                continue
            }
            added.xs.append(x)
            added.ys.append(y)
            if let labels { added.labels!.append(labels[i]) }
        }
        series.append(added)
    }

    /// Writes the plot as SVG or PNG, chosen by the file extension (`.svg` or `.png`, any case);
    /// atomically, like ``NumPyFile``. Other extensions and write failures throw.
    public func write(to url: URL) throws {
        let bytes: [UInt8]
        switch url.pathExtension.lowercased() {
        case "svg": bytes = Array(svg().utf8)
        case "png": bytes = png()
        default:
            throw ScatterPlotError(message: "\(url.relativePath): unsupported extension '.\(url.pathExtension)' (expected .svg or .png)")
        }
        do throws(AtomicFileFailure) {
            try AtomicFile.save(Data(bytes), to: url)
        } catch {
            throw ScatterPlotError(message: "\(url.relativePath): \(error.message)")
        }
    }

    // MARK: - Colours

    /// The label palette (matplotlib's "tab10"), as RGB.
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E), (0x2C, 0xA0, 0x2C), (0xD6, 0x27, 0x28), (0x94, 0x67, 0xBD),
        (0x8C, 0x56, 0x4B), (0xE3, 0x77, 0xC2), (0x7F, 0x7F, 0x7F), (0xBC, 0xBD, 0x22), (0x17, 0xBE, 0xCF),
    ]
    /// Unlabelled series when the plot also has labelled ones.
    static let backgroundGrey: (UInt8, UInt8, UInt8) = (0xBB, 0xBB, 0xBB)

    /// The colour of a label: `palette[label mod 10]` (negative labels too).
    static func colour(label: Int) -> (UInt8, UInt8, UInt8) {
        palette[((label % 10) + 10) % 10]
    }

    /// The single colour of series `index`, which has no labels.
    func seriesColour(_ index: Int) -> (UInt8, UInt8, UInt8) {
        if series.contains(where: { $0.labels != nil }) { return Self.backgroundGrey }
        let rank = series[..<index].filter { $0.labels == nil }.count
        return Self.palette[rank % 10]
    }
}

/// A plot that could not be built or written.
public struct ScatterPlotError: Error, CustomStringConvertible, Sendable {
    /// What was wrong (starting with the path, for write errors).
    public let message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
