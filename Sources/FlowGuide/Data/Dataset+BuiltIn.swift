#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The built-in class-conditional datasets (DESIGN.md §6).
///
/// Every set is generated from (seed, index) alone: sample i (global index `firstIndex + i`)
/// has class `(firstIndex + i) mod C` — so classes are balanced to within one sample — and its
/// random values are the ``NoiseGenerator`` values of row `firstIndex + i` of fixed streams.
/// A sample therefore does not depend on the count, the thread count, or a split of the
/// generation into chunks (`firstIndex`). Geometry is computed in Double and rounded to float32.
///
/// | name | D | classes | what |
/// |---|---|---|---|
/// | `checkerboard` | 2 | 8 | uniform on the 8 filled squares of a 4 × 4 board over [−4, 4]² |
/// | `eight-gaussians` | 2 | 8 | exact samples of ``GaussianMixtureModel/eightGaussians`` |
/// | `moons` | 2 | 2 | two interleaved half circles of radius 2, noise 0.1 |
/// | `rings` | 2 | 3 | concentric circles of radii 1, 2, 3, noise 0.1 |
/// | `spirals` | 2 | 3 | three interleaved spiral arms, noise 0.1 |
/// | `mixture64` | 64 | 10 | exact samples of ``GaussianMixtureModel/mixture64`` |
/// | `spirals16` | 16 | 3 | `spirals` embedded in 16-D by a fixed orthonormal map, plus noise 0.05 |
extension Dataset {
    /// The names ``builtIn(name:count:seed:firstIndex:)`` accepts, in the order `flowguide data --list` shows them.
    public static let builtInNames = ["checkerboard", "eight-gaussians", "moons", "rings", "spirals", "mixture64", "spirals16"]

    /// The ``NoiseGenerator`` stream of the uniform values of the geometric sets.
    public static let uniformStream: UInt32 = 0x4453_0001
    /// The ``NoiseGenerator`` stream of the 2-D Gaussian noise of the geometric sets.
    public static let normalStream: UInt32 = 0x4453_0002
    /// The ``NoiseGenerator`` stream of the 16-D noise of `spirals16`.
    public static let embeddingNoiseStream: UInt32 = 0x4453_0003

    /// `count` samples of the built-in set `name` (see the table above), samples
    /// `firstIndex ..< firstIndex + count` of the infinite sequence of `seed`.
    /// Throws `.unknownName` for another name and `.invalidArgument` for a negative count or index.
    public static func builtIn(name: String, count: Int, seed: UInt64, firstIndex: Int = 0) throws(DatasetError) -> Dataset {
        guard count >= 0, firstIndex >= 0 else {
            throw DatasetError(.invalidArgument,
                               "dataset '\(name)': count \(count) and firstIndex \(firstIndex) must be >= 0")
        }
        switch name {
        case "checkerboard": return try checkerboard(count: count, seed: seed, firstIndex: firstIndex)
        case "eight-gaussians":
            return try mixtureSamples(.eightGaussians, name: name, count: count, seed: seed, firstIndex: firstIndex)
        case "moons": return try moons(count: count, seed: seed, firstIndex: firstIndex)
        case "rings": return try rings(count: count, seed: seed, firstIndex: firstIndex)
        case "spirals": return try spirals(count: count, seed: seed, firstIndex: firstIndex)
        case "mixture64":
            return try mixtureSamples(.mixture64, name: name, count: count, seed: seed, firstIndex: firstIndex)
        case "spirals16": return try spirals16(count: count, seed: seed, firstIndex: firstIndex)
        default:
            throw DatasetError(.unknownName,
                               "unknown dataset '\(name)' (built-ins: \(builtInNames.joined(separator: ", ")))")
        }
    }

    /// The mixture a built-in set samples exactly (`eight-gaussians`, `mixture64`), else nil:
    /// the ground truth for mixture metrics (mode coverage, log-likelihood).
    public static func groundTruthMixture(name: String) -> GaussianMixtureModel? {
        switch name {
        case "eight-gaussians": return .eightGaussians
        case "mixture64": return .mixture64
        default: return nil
        }
    }

    /// The dimension and class count of a built-in set, or nil for an unknown name.
    public static func builtInShape(name: String) -> (dimension: Int, classCount: Int)? {
        switch name {
        case "checkerboard": return (2, 8)
        case "eight-gaussians": return (2, 8)
        case "moons": return (2, 2)
        case "rings", "spirals": return (2, 3)
        case "mixture64": return (64, 10)
        case "spirals16": return (16, 3)
        default: return nil
        }
    }

    // MARK: - 2-D sets

    /// 8 classes on a 4 × 4 board of squares of side 2 covering [−4, 4]²: square (col, row),
    /// col and row in 0..<4 from the lower left, spans x ∈ [−4 + 2·col, −2 + 2·col],
    /// y ∈ [−4 + 2·row, −2 + 2·row] and is filled when col + row is even (so (0, 0) is filled).
    /// Class c is the c-th filled square in row-major order from the bottom row
    /// (c = 2·row + ⌊col/2⌋); a sample is uniform on its square: `(−4 + 2·(col + u₀), −4 + 2·(row + u₁))`.
    public static func checkerboard(count: Int, seed: UInt64, firstIndex: Int = 0) throws(DatasetError) -> Dataset {
        try generate("checkerboard", count: count, seed: seed, firstIndex: firstIndex, classCount: 8,
                     uniforms: 2, normals: 0) { c, u, _ in
            let row = c / 2
            let col = 2 * (c % 2) + row % 2
            return [-4 + 2 * (Double(col) + u[0]), -4 + 2 * (Double(row) + u[1])]
        }
    }

    /// 2 classes: two interleaved half circles of radius 2 (scikit-learn's `make_moons` scaled by
    /// 2 and centred). With t = π·u₀: class 0 is `(2·cos t − 1, 2·sin t − 0.5)` (the upper moon,
    /// centre (−1, −0.5)), class 1 its mirror image through the origin `(1 − 2·cos t, 0.5 − 2·sin t)`
    /// (centre (1, 0.5)); then isotropic Gaussian noise of std 0.1. Noise-free points lie in
    /// x ∈ [−3, 3], y ∈ [−1.5, 1.5].
    public static func moons(count: Int, seed: UInt64, firstIndex: Int = 0) throws(DatasetError) -> Dataset {
        try generate("moons", count: count, seed: seed, firstIndex: firstIndex, classCount: 2,
                     uniforms: 1, normals: 2) { c, u, z in
            let t = Double.pi * u[0]
            let sign = c == 0 ? 1.0 : -1.0
            return [sign * (2 * cos(t) - 1) + 0.1 * z[0], sign * (2 * sin(t) - 0.5) + 0.1 * z[1]]
        }
    }

    /// 3 classes: concentric circles around the origin, class c of radius c + 1, at the angle
    /// 2π·u₀, plus isotropic Gaussian noise of std 0.1.
    public static func rings(count: Int, seed: UInt64, firstIndex: Int = 0) throws(DatasetError) -> Dataset {
        try generate("rings", count: count, seed: seed, firstIndex: firstIndex, classCount: 3,
                     uniforms: 1, normals: 2) { c, u, z in
            let (r, angle) = (Double(c + 1), 2 * Double.pi * u[0])
            return [r * cos(angle) + 0.1 * z[0], r * sin(angle) + 0.1 * z[1]]
        }
    }

    /// 3 classes: three interleaved spiral arms. With t = u₀, arm c is the point at radius
    /// `0.5 + 3.5·t` and angle `2π·c/3 + 3π·t` (1.5 turns, from radius 0.5 to 4), plus isotropic
    /// Gaussian noise of std 0.1. Neighbouring arms are about 0.78 apart along a radius.
    public static func spirals(count: Int, seed: UInt64, firstIndex: Int = 0) throws(DatasetError) -> Dataset {
        try generate("spirals", count: count, seed: seed, firstIndex: firstIndex, classCount: 3,
                     uniforms: 1, normals: 2) { c, u, z in
            let p = spiralPoint(arm: c, t: u[0])
            return [p.x + 0.1 * z[0], p.y + 0.1 * z[1]]
        }
    }

    /// The noise-free point of a `spirals` arm at t ∈ [0, 1].
    public static func spiralPoint(arm: Int, t: Double) -> (x: Double, y: Double) {
        let r = 0.5 + 3.5 * t
        let angle = 2 * Double.pi * Double(arm) / 3 + 3 * Double.pi * t
        return (r * cos(angle), r * sin(angle))
    }

    // MARK: - Higher-dimensional sets

    /// The orthonormal map Q [16, 2] of `spirals16`: two columns of the 16 × 16 Sylvester
    /// Hadamard matrix divided by 4, `Q[i][k] = (−1)^popcount(i & m_k) / 4` with masks
    /// m₀ = 6 (0b0110) and m₁ = 11 (0b1011). The columns are exactly orthonormal (in float32
    /// too: every entry is ±0.25), each is orthogonal to the all-ones vector, and every one of
    /// the 16 coordinates mixes both 2-D coordinates.
    public static let spirals16Embedding: Matrix = {
        let masks = [6, 11]
        var q = Matrix(rows: 16, columns: 2)
        for i in 0..<16 {
            for k in 0..<2 { q[i, k] = (i & masks[k]).nonzeroBitCount % 2 == 0 ? 0.25 : -0.25 }
        }
        return q
    }()

    /// 3 classes in 16-D: sample i of ``spirals(count:seed:firstIndex:)`` (same seed and index,
    /// so with its 2-D noise), mapped by ``spirals16Embedding`` (`x = Q·p`), plus isotropic
    /// Gaussian noise of std 0.05 in all 16 coordinates (stream ``embeddingNoiseStream``).
    /// A non-Gaussian set on a 2-D plane of a 16-D space: `Qᵀ·x` recovers the 2-D sample up to
    /// noise of std 0.05.
    public static func spirals16(count: Int, seed: UInt64, firstIndex: Int = 0) throws(DatasetError) -> Dataset {
        let flat = try spirals(count: count, seed: seed, firstIndex: firstIndex)
        let noise = try normals(rows: count, columns: 16, seed: seed, stream: embeddingNoiseStream, firstRow: firstIndex)
        let q = spirals16Embedding
        var x = Matrix(rows: count, columns: 16)
        for r in 0..<count {
            let (p0, p1) = (Double(flat.samples[r, 0]), Double(flat.samples[r, 1]))
            for i in 0..<16 {
                x[r, i] = Float(Double(q[i, 0]) * p0 + Double(q[i, 1]) * p1 + 0.05 * Double(noise[r, i]))
            }
        }
        return Dataset(unchecked: x, labels: flat.labels, classCount: 3, name: "spirals16")
    }

    // MARK: - Helpers

    /// Exact samples of a mixture with labels `(firstIndex + i) mod classCount` (its own streams,
    /// see ``GaussianMixtureModel/sample(count:labels:seed:firstIndex:)``).
    private static func mixtureSamples(_ mixture: GaussianMixtureModel, name: String, count: Int, seed: UInt64,
                                       firstIndex: Int) throws(DatasetError) -> Dataset {
        let labels = (0..<count).map { (firstIndex + $0) % mixture.classCount }
        do {
            let x = try mixture.sample(count: count, labels: labels, seed: seed, firstIndex: firstIndex)
            return Dataset(unchecked: x, labels: labels, classCount: mixture.classCount, name: name)
        } catch {
            throw DatasetError(.invalidArgument, "dataset '\(name)': \(error.detail)")
        }
    }

    /// A 2-D set: sample i (global index g = firstIndex + i) has class g mod classCount and gets
    /// the row g of `uniforms` uniform and `normals` normal values of the dataset streams.
    private static func generate(_ name: String, count: Int, seed: UInt64, firstIndex: Int, classCount: Int,
                                 uniforms uniformCount: Int, normals normalCount: Int,
                                 _ point: (Int, [Double], [Double]) -> [Double]) throws(DatasetError) -> Dataset {
        guard count >= 0, firstIndex >= 0 else {
            throw DatasetError(.invalidArgument,
                               "dataset '\(name)': count \(count) and firstIndex \(firstIndex) must be >= 0")
        }
        let u = try uniforms(rows: count, columns: uniformCount, seed: seed, stream: uniformStream, firstRow: firstIndex)
        let z = try normals(rows: count, columns: max(normalCount, 1), seed: seed, stream: normalStream, firstRow: firstIndex)
        var x = Matrix(rows: count, columns: 2)
        var labels = [Int]()
        labels.reserveCapacity(count)
        for r in 0..<count {
            let c = (firstIndex + r) % classCount
            let p = point(c, u.row(r).map(Double.init), z.row(r).map(Double.init))
            x[r, 0] = Float(p[0])
            x[r, 1] = Float(p[1])
            labels.append(c)
        }
        return Dataset(unchecked: x, labels: labels, classCount: classCount, name: name)
    }
}
