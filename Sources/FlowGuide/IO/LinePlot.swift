#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A line chart of named series of (x, y) points with optional symmetric error bars
/// (y ± spread), rendered as SVG with a title, axis labels, ticks and a legend.
///
/// Either axis can be linear or logarithmic (base 2 or 10); a log axis needs positive values.
/// Points are joined in the order given (so a series can also trace a curve such as a
/// precision–recall frontier); each point gets a marker and, if its spread is positive, an error
/// bar. A point may carry a short text label drawn next to its marker. Series are coloured from
/// the same 10-colour palette as ``ScatterPlot``, in the order added; dashed series use dashed
/// lines. Invalid data (an empty series, a NaN or infinite value, a negative spread, a
/// non-positive value on a log axis) throws ``LinePlotError`` when added.
///
/// ```swift
/// var plot = LinePlot(title: "Fréchet distance", xLabel: "steps", yLabel: "FD",
///                     xScale: .log2, yScale: .log10)
/// try plot.add("Euler", x: [4, 8, 16], y: [0.9, 0.4, 0.2], spread: [0.1, 0.05, 0.02])
/// try plot.add("MG", x: [4, 8, 16], y: [0.5, 0.3, 0.2], dashed: true)
/// try plot.write(to: URL(fileURLWithPath: "fd.svg"))
/// ```
public struct LinePlot: Sendable {
    /// How an axis maps values to positions.
    public enum Scale: Sendable, Equatable {
        case linear
        /// Logarithmic, ticks at powers of 2 (values must be positive).
        case log2
        /// Logarithmic, ticks at powers of 10 (and 2×, 5× when the range is narrow).
        case log10
    }

    /// One point: its position, the half-length of its error bar, and an optional text label.
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        /// The error bar spans y − spread … y + spread; 0 draws no bar.
        public var spread: Double
        /// Drawn next to the marker when not empty.
        public var label: String

        public init(x: Double, y: Double, spread: Double = 0, label: String = "") {
            self.x = x
            self.y = y
            self.spread = spread
            self.label = label
        }
    }

    /// One named series of points.
    public struct Series: Sendable, Equatable {
        public let name: String
        public let points: [Point]
        public let dashed: Bool
    }

    /// Shown above the plot.
    public var title: String
    /// Shown below the x axis.
    public var xLabel: String
    /// Shown rotated, left of the y axis.
    public var yLabel: String
    public let xScale: Scale
    public let yScale: Scale
    public let width: Int
    public let height: Int
    /// The series, in the order added.
    public private(set) var series: [Series] = []

    /// An empty plot of `width` × `height` pixels (at least 160 × 120).
    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                xScale: Scale = .linear, yScale: Scale = .linear, width: Int = 640, height: Int = 420) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.width = max(width, 160)
        self.height = max(height, 120)
    }

    /// Adds a series of points (joined in the given order). Throws if `points` is empty, a
    /// coordinate or spread is NaN or infinite, a spread is negative, or a value on a log axis
    /// is not positive; the plot is unchanged then.
    public mutating func add(_ name: String, points: [Point], dashed: Bool = false) throws {
        let what = name.isEmpty ? "series \(series.count + 1)" : "series '\(name)'"
        guard !points.isEmpty else { throw LinePlotError(message: "\(what) has no points") }
        for (i, p) in points.enumerated() {
            guard p.x.isFinite, p.y.isFinite, p.spread.isFinite else {
                throw LinePlotError(message: "\(what), point \(i): non-finite value (x \(p.x), y \(p.y), spread \(p.spread))")
            }
            guard p.spread >= 0 else {
                throw LinePlotError(message: "\(what), point \(i): negative spread \(p.spread)")
            }
            if xScale != .linear, p.x <= 0 {
                throw LinePlotError(message: "\(what), point \(i): x = \(p.x) on a logarithmic x axis (must be > 0)")
            }
            if yScale != .linear, p.y <= 0 {
                throw LinePlotError(message: "\(what), point \(i): y = \(p.y) on a logarithmic y axis (must be > 0)")
            }
        }
        series.append(Series(name: name, points: points, dashed: dashed))
    }

    /// Adds a series from parallel arrays: `x`, `y` and optionally `spread` (one per point) and
    /// `labels`. Throws if the counts differ, and as ``add(_:points:dashed:)``.
    public mutating func add(_ name: String, x: [Double], y: [Double], spread: [Double]? = nil,
                             labels: [String]? = nil, dashed: Bool = false) throws {
        guard x.count == y.count, spread.map({ $0.count == x.count }) ?? true,
              labels.map({ $0.count == x.count }) ?? true else {
            throw LinePlotError(message: "series '\(name)': \(x.count) x values, \(y.count) y values"
                + (spread.map { ", \($0.count) spreads" } ?? "") + (labels.map { ", \($0.count) labels" } ?? "")
                + " (counts must match)")
        }
        let points = x.indices.map { i in
            Point(x: x[i], y: y[i], spread: spread?[i] ?? 0, label: labels?[i] ?? "")
        }
        try add(name, points: points, dashed: dashed)
    }

    /// Writes the plot as SVG (the extension must be `.svg`, any case), atomically: an existing
    /// file is replaced whole or left as it was. Throws for a plot without series, another
    /// extension, or a write failure.
    public func write(to url: URL) throws {
        guard url.pathExtension.lowercased() == "svg" else {
            throw LinePlotError(message: "\(url.relativePath): unsupported extension '.\(url.pathExtension)' (expected .svg)")
        }
        let text = try svg()
        do throws(AtomicFileFailure) {
            try AtomicFile.save(Data(text.utf8), to: url)
        } catch {
            throw LinePlotError(message: "\(url.relativePath): \(error.message)")
        }
    }
}

/// A line plot that could not be built or written.
public struct LinePlotError: Error, CustomStringConvertible, Sendable {
    /// What was wrong (starting with the path, for write errors).
    public let message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
