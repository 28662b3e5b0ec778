#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a ``ScatterPlot``'s data lands on the canvas: equal-aspect scaling of the data bounds
/// into the plot area, and "nice" tick positions (1, 2 or 5 × 10^k apart).
struct PlotLayout {
    static let marginLeft = 56.0, marginRight = 16.0, marginTop = 36.0, marginBottom = 40.0

    /// The plot area in pixels.
    let left: Double, top: Double, areaWidth: Double, areaHeight: Double
    /// The data range shown (after padding and equal-aspect widening).
    let xMin: Double, xMax: Double, yMin: Double, yMax: Double
    /// Pixels per data unit, the same on both axes.
    let scale: Double

    init(width: Int, height: Int, series: [ScatterPlot.Series]) {
        left = Self.marginLeft
        top = Self.marginTop
        areaWidth = max(Double(width) - Self.marginLeft - Self.marginRight, 1)
        areaHeight = max(Double(height) - Self.marginTop - Self.marginBottom, 1)

        let xs = series.flatMap(\.xs), ys = series.flatMap(\.ys)
        let (x0, x1) = Self.paddedRange(xs), (y0, y1) = Self.paddedRange(ys)
        scale = min(areaWidth / (x1 - x0), areaHeight / (y1 - y0))
        // Widen the tighter axis so one data unit is `scale` pixels on both.
        let xCentre = (x0 + x1) / 2, yCentre = (y0 + y1) / 2
        xMin = xCentre - areaWidth / scale / 2
        xMax = xCentre + areaWidth / scale / 2
        yMin = yCentre - areaHeight / scale / 2
        yMax = yCentre + areaHeight / scale / 2
    }

    func pixel(x: Double, y: Double) -> (x: Double, y: Double) {
        (left + (x - xMin) * scale, top + (yMax - y) * scale)
    }

    /// The range of `values` with 5% padding; [-1, 1] when empty, widened when a single value.
    static func paddedRange(_ values: [Double]) -> (Double, Double) {
        guard let lo = values.min(), let hi = values.max() else { return (-1, 1) }
        var span = hi - lo
        if !(span > 0) { span = max(abs(lo) * 0.2, 1) }
        if !span.isFinite { span = .greatestFiniteMagnitude / 4 }
        return ((lo + hi) / 2 - span * 0.55, (lo + hi) / 2 + span * 0.55)
    }

    /// Tick values in `lo...hi`, about `target` of them, and the decimals their labels need.
    static func ticks(_ lo: Double, _ hi: Double, target: Int = 5) -> (values: [Double], decimals: Int) {
        let raw = (hi - lo) / Double(target)
        guard raw > 0, raw.isFinite else { return ([], 0) }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let normalized = raw / magnitude
        let step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude
        var values: [Double] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi, values.count < 50 {
            values.append(k * step)
            k += 1
        }
        return (values, max(0, -Int(log10(step).rounded(.down))))
    }

    /// `value` with a fixed number of decimals, e.g. 2.50, -0.5, 10 (no Foundation formatting).
    static func format(_ value: Double, decimals: Int) -> String {
        let factor = pow(10, Double(decimals))
        let scaled = (abs(value) * factor).rounded()
        guard scaled < 1e15 else { return String(value) }
        let digits = String(Int(scaled))
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return sign + padded }
        return sign + padded.dropLast(decimals) + "." + padded.suffix(decimals)
    }
}
