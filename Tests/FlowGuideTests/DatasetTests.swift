import Foundation
import Testing
@testable import FlowGuide

/// Dataset: the built-in sets (determinism, shapes, balance, geometry), validation, splits,
/// subsets and .npy files.
@Suite struct DatasetTests {
    // MARK: Built-ins: determinism, shapes, balance

    @Test(arguments: Dataset.builtInNames)
    func builtInIsDeterministicAndIndexAddressed(name: String) throws {
        let all = try Dataset.builtIn(name: name, count: 50, seed: 7)
        #expect(try Dataset.builtIn(name: name, count: 50, seed: 7) == all)
        #expect(try Dataset.builtIn(name: name, count: 50, seed: 8).samples != all.samples)
        // Sample i depends only on (seed, firstIndex + i): a prefix and a chunk are the same rows.
        let head = try Dataset.builtIn(name: name, count: 20, seed: 7)
        let tail = try Dataset.builtIn(name: name, count: 30, seed: 7, firstIndex: 20)
        let d = all.dimension
        #expect(head.samples.scalars == Array(all.samples.scalars[..<(20 * d)]))
        #expect(tail.samples.scalars == Array(all.samples.scalars[(20 * d)...]))
        #expect(head.labels + tail.labels == all.labels)
    }

    @Test(arguments: Dataset.builtInNames)
    func builtInShapesAndBalancedClasses(name: String) throws {
        let shape = try #require(Dataset.builtInShape(name: name))
        let n = 1001
        let data = try Dataset.builtIn(name: name, count: n, seed: 1)
        #expect(data.name == name)
        #expect(data.count == n && data.dimension == shape.dimension && data.classCount == shape.classCount)
        #expect(data.labels == (0..<n).map { $0 % shape.classCount })
        let counts = data.classCounts
        #expect(counts.max()! - counts.min()! <= 1)
        #expect(Dataset.firstNonFinite(data.samples) == nil)
        // Validation accepts what the generator makes.
        #expect(try Dataset(samples: data.samples, labels: data.labels, classCount: data.classCount, name: name) == data)
        let empty = try Dataset.builtIn(name: name, count: 0, seed: 1)
        #expect(empty.count == 0 && empty.dimension == shape.dimension)
    }

    @Test func builtInArgumentErrors() {
        #expect(Dataset.builtInShape(name: "nope") == nil)
        #expect(Dataset.groundTruthMixture(name: "moons") == nil)
        for (name, count, first, kind) in [("nope", 10, 0, DatasetError.Kind.unknownName),
                                           ("moons", -1, 0, .invalidArgument), ("rings", 5, -2, .invalidArgument),
                                           ("mixture64", -3, 0, .invalidArgument)] {
            #expect { try Dataset.builtIn(name: name, count: count, seed: 0, firstIndex: first) } throws: { error in
                (error as? DatasetError)?.kind == kind
            }
        }
        #expect(throws: DatasetError(.unknownName, "unknown dataset 'Moons' (built-ins: checkerboard, eight-gaussians, moons, rings, spirals, mixture64, spirals16)")) {
            try Dataset.builtIn(name: "Moons", count: 1, seed: 0)
        }
    }

    // MARK: Built-ins: geometry

    @Test(arguments: ["eight-gaussians", "mixture64"])
    func mixtureSetsAreTheMixtureSamples(name: String) throws {
        let mixture = try #require(Dataset.groundTruthMixture(name: name))
        let data = try Dataset.builtIn(name: name, count: 300, seed: 5, firstIndex: 11)
        let labels = (11..<311).map { $0 % mixture.classCount }
        #expect(data.labels == labels)
        #expect(data.samples == (try mixture.sample(count: 300, labels: labels, seed: 5, firstIndex: 11)))
    }

    @Test func checkerboardFillsItsSquares() throws {
        let data = try Dataset.checkerboard(count: 8000, seed: 2)
        var low = [[Double]](repeating: [9, 9], count: 8), high = [[Double]](repeating: [-9, -9], count: 8)
        for r in 0..<data.count {
            let (x, y) = (Double(data.samples[r, 0]), Double(data.samples[r, 1]))
            let (col, row) = (Int(((x + 4) / 2).rounded(.down)), Int(((y + 4) / 2).rounded(.down)))
            #expect((0..<4).contains(col) && (0..<4).contains(row))
            #expect((col + row) % 2 == 0)                      // a filled square
            #expect(data.labels[r] == 2 * row + col / 2)        // its class
            let c = data.labels[r]
            (low[c][0], low[c][1]) = (min(low[c][0], x), min(low[c][1], y))
            (high[c][0], high[c][1]) = (max(high[c][0], x), max(high[c][1], y))
        }
        // Each square is covered edge to edge (1000 uniform points: the extremes are within 0.05).
        for c in 0..<8 {
            #expect(high[c][0] - low[c][0] > 1.95 && high[c][1] - low[c][1] > 1.95)
        }
        #expect(data.samples[0, 0] < -2 && data.samples[0, 1] < -2)   // class 0: the lower-left square
    }

    @Test func moonsHaveRadiusTwoAroundTheirCentres() throws {
        let data = try Dataset.moons(count: 4000, seed: 3)
        var radii = [[Double]](repeating: [], count: 2)
        for r in 0..<data.count {
            let c = data.labels[r]
            let (cx, cy) = c == 0 ? (-1.0, -0.5) : (1.0, 0.5)
            let (dx, dy) = (Double(data.samples[r, 0]) - cx, Double(data.samples[r, 1]) - cy)
            radii[c].append((dx * dx + dy * dy).squareRoot())
            // The half above (class 0) or below (class 1) the centre, up to noise of std 0.1.
            #expect((c == 0 ? dy : -dy) > -0.6)
            #expect(abs(Double(data.samples[r, 0])) < 3.6 && abs(Double(data.samples[r, 1])) < 2.1)
        }
        for c in 0..<2 {
            #expect(radii[c].allSatisfy { abs($0 - 2) < 0.6 })
            let mean = radii[c].reduce(0, +) / Double(radii[c].count)
            #expect(abs(mean - 2) < 0.02)
        }
    }

    @Test func ringsHaveRadiiOneTwoThree() throws {
        let data = try Dataset.rings(count: 6000, seed: 4)
        var sums = [Double](repeating: 0, count: 3), angles = [[Double]](repeating: [], count: 3)
        for r in 0..<data.count {
            let (x, y) = (Double(data.samples[r, 0]), Double(data.samples[r, 1]))
            let c = data.labels[r]
            let radius = (x * x + y * y).squareRoot()
            #expect(abs(radius - Double(c + 1)) < 0.6)
            sums[c] += radius
            angles[c].append(atan2(y, x))
        }
        for c in 0..<3 {
            #expect(abs(sums[c] / 2000 - Double(c + 1)) < 0.02)
            // Uniform angle: the mean of cos and sin is near 0.
            #expect(abs(angles[c].map(cos).reduce(0, +) / 2000) < 0.1)
            #expect(abs(angles[c].map(sin).reduce(0, +) / 2000) < 0.1)
        }
    }

    /// The distance of a point to the noise-free curve of a spiral arm (on a fine grid of t).
    static func distanceToArm(_ arm: Int, _ x: Double, _ y: Double) -> Double {
        (0...2000).map { i in
            let p = Dataset.spiralPoint(arm: arm, t: Double(i) / 2000)
            return ((p.x - x) * (p.x - x) + (p.y - y) * (p.y - y)).squareRoot()
        }.min()!
    }

    @Test func spiralsLieOnTheirArms() throws {
        let data = try Dataset.spirals(count: 600, seed: 5)
        var nearestIsOwn = 0
        for r in 0..<data.count {
            let (x, y) = (Double(data.samples[r, 0]), Double(data.samples[r, 1]))
            let distances = (0..<3).map { Self.distanceToArm($0, x, y) }
            #expect(distances[data.labels[r]] < 0.6)
            if distances.firstIndex(of: distances.min()!) == data.labels[r] { nearestIsOwn += 1 }
        }
        #expect(nearestIsOwn >= 594)   // arms 0.78 apart, noise 0.1: almost never closer to another arm
        #expect(Dataset.spiralPoint(arm: 0, t: 0) == (0.5, 0))
        let end = Dataset.spiralPoint(arm: 0, t: 1)
        #expect(abs(end.x + 4) < 1e-12 && abs(end.y) < 1e-12)   // angle 3π, radius 4
    }

    @Test func spirals16IsTheEmbeddedSpirals() throws {
        let q = Dataset.spirals16Embedding
        // Exactly orthonormal columns, orthogonal to the all-ones vector.
        for (a, b, expected) in [(0, 0, 1.0), (1, 1, 1.0), (0, 1, 0.0)] {
            #expect((0..<16).reduce(0.0) { $0 + Double(q[$1, a]) * Double(q[$1, b]) } == expected)
        }
        #expect((0..<16).reduce(0.0) { $0 + Double(q[$1, 0]) } == 0)
        let n = 2000
        let x = try Dataset.spirals16(count: n, seed: 6)
        let flat = try Dataset.spirals(count: n, seed: 6)
        #expect(x.labels == flat.labels && x.dimension == 16)
        // Qᵀx − p and the part of x off the plane are the 16-D noise of std 0.05.
        var inPlane = 0.0, offPlane = 0.0
        for r in 0..<n {
            var back = [0.0, 0.0]
            for i in 0..<16 { for k in 0..<2 { back[k] += Double(q[i, k]) * Double(x.samples[r, i]) } }
            for k in 0..<2 { inPlane += pow(back[k] - Double(flat.samples[r, k]), 2) }
            for i in 0..<16 {
                let e = Double(x.samples[r, i]) - Double(q[i, 0]) * back[0] - Double(q[i, 1]) * back[1]
                offPlane += e * e
            }
        }
        let inStd = (inPlane / Double(2 * n)).squareRoot(), offStd = (offPlane / Double(14 * n)).squareRoot()
        #expect(abs(inStd - 0.05) < 0.003 && abs(offStd - 0.05) < 0.002)
    }

    // MARK: Validation

    @Test func initValidates() throws {
        let x = try Matrix([[0, 1], [2, 3], [4, 5]])
        let ok = try Dataset(samples: x, labels: [0, 2, 1], classCount: 4, name: "m")
        #expect(ok.classCounts == [1, 1, 1, 0] && ok.count == 3 && ok.dimension == 2)
        var nan = x
        nan[2, 1] = .nan
        var inf = x
        inf[1, 0] = -.infinity
        let cases: [(Matrix, [Int], Int, DatasetError.Kind, String)] = [
            (x, [0, 0, 0], 0, .invalidArgument, "classCount 0 must be >= 1"),
            (Matrix(rows: 3, columns: 0), [0, 0, 0], 1, .shapeMismatch, "dimension 0"),
            (x, [0, 0], 1, .shapeMismatch, "2 labels for 3 samples"),
            (x, [0, 3, 0], 3, .invalidLabel, "labels[1] = 3 is not a class in 0..<3"),
            (x, [0, -1, 0], 3, .invalidLabel, "labels[1] = -1"),
            (nan, [0, 0, 0], 1, .nonFiniteValue, "1 of 3 rows contain NaN or infinity (the first is row 2, column 1)"),
            (inf, [0, 0, 0], 1, .nonFiniteValue, "(the first is row 1, column 0)"),
        ]
        for (samples, labels, classes, kind, fragment) in cases {
            #expect { try Dataset(samples: samples, labels: labels, classCount: classes, name: "m") } throws: { error in
                guard let error = error as? DatasetError else { return false }
                return error.kind == kind && error.message.contains(fragment) && error.message.contains("'m'")
            }
        }
        #expect(try Dataset(samples: Matrix(rows: 0, columns: 3), labels: [], classCount: 1, name: "e").count == 0)
    }

    @Test func rowsPicksAndChecksIndices() throws {
        let data = try Dataset.rings(count: 10, seed: 1)
        let picked = try data.rows([9, 0, 0], name: "p")
        #expect(picked.labels == [0, 0, 0] && picked.name == "p" && picked.classCount == 3)
        #expect(Array(picked.samples.row(0)) == Array(data.samples.row(9)))
        #expect(Array(picked.samples.row(2)) == Array(data.samples.row(0)))
        #expect(throws: DatasetError.self) { try data.rows([10]) }
        #expect(throws: DatasetError.self) { try data.rows([-1]) }
    }

    // MARK: Splits and subsets

    @Test(arguments: [0.0, 0.1, 0.25, 0.5, 1.0])
    func splitIsStratifiedDisjointAndDeterministic(fraction: Double) throws {
        let data = try Dataset.spirals(count: 1000, seed: 2)   // classes of 334, 333, 333
        let (train, heldOut) = try data.split(heldOut: fraction, seed: 9)
        let again = try data.split(heldOut: fraction, seed: 9)
        #expect(again.train == train && again.heldOut == heldOut)
        #expect(train.count + heldOut.count == 1000)
        #expect(train.classCount == 3 && heldOut.classCount == 3)
        #expect(train.name == "spirals (train)" && heldOut.name == "spirals (held-out)")
        for (c, n) in data.classCounts.enumerated() {
            #expect(heldOut.classCounts[c] == Int((fraction * Double(n)).rounded()))
        }
        // Every sample lands in exactly one part, and both keep the original order.
        var rows = Set<[Float]>()
        for part in [train, heldOut] { for r in 0..<part.count { rows.insert(Array(part.samples.row(r))) } }
        #expect(rows.count == 1000)
        let position = Dictionary(uniqueKeysWithValues: (0..<1000).map { (Array(data.samples.row($0)), $0) })
        for part in [train, heldOut] {
            let order = (0..<part.count).map { position[Array(part.samples.row($0))]! }
            #expect(order == order.sorted())
        }
    }

    @Test func splitDependsOnTheSeedAndChecksTheFraction() throws {
        let data = try Dataset.moons(count: 200, seed: 2)
        #expect(try data.split(heldOut: 0.3, seed: 1).heldOut != data.split(heldOut: 0.3, seed: 2).heldOut)
        for bad in [-0.1, 1.5, .nan, .infinity] {
            #expect { try data.split(heldOut: bad, seed: 0) } throws: { ($0 as? DatasetError)?.kind == .invalidArgument }
        }
    }

    @Test func randomSubsetAndSubsample() throws {
        let indices = try Dataset.randomSubset(count: 1000, size: 100, seed: 3)
        #expect(indices.count == 100 && Set(indices).count == 100 && indices == indices.sorted())
        #expect(indices.allSatisfy { (0..<1000).contains($0) })
        #expect(try Dataset.randomSubset(count: 1000, size: 100, seed: 3) == indices)
        #expect(try Dataset.randomSubset(count: 1000, size: 100, seed: 4) != indices)
        #expect(try Dataset.randomSubset(count: 5, size: 5, seed: 0) == [0, 1, 2, 3, 4])
        #expect(try Dataset.randomSubset(count: 0, size: 0, seed: 0) == [])
        // Not every k-th row: labels i mod 8 keep all classes in a subset of half the rows.
        let data = try Dataset.eightGaussians(count: 4000)
        let half = try data.subsample(maxCount: 2000, seed: 0)
        #expect(half.count == 2000 && half.classCounts.allSatisfy { $0 > 200 })
        #expect(try data.subsample(maxCount: 5000, seed: 0) == data)
        for (count, size) in [(10, 11), (10, -1), (-1, 0)] {
            #expect(throws: DatasetError.self) { try Dataset.randomSubset(count: count, size: size, seed: 0) }
        }
        #expect(throws: DatasetError.self) { try data.subsample(maxCount: -1, seed: 0) }
    }

    // MARK: .npy files

    @Test(arguments: ["rings", "mixture64", "spirals16"])
    func npyRoundTrip(name: String) throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Dataset.builtIn(name: name, count: 101, seed: 4)
        let (x, y) = (dir.appendingPathComponent("x.npy"), dir.appendingPathComponent("y.npy"))
        try data.write(samplesTo: x, labelsTo: y)
        let loaded = try Dataset(samplesFile: x, labelsFile: y)
        #expect(loaded.samples == data.samples && loaded.labels == data.labels)
        #expect(loaded.classCount == data.classCount && loaded.name == "x.npy")
        let unlabelled = try Dataset(samplesFile: x)
        #expect(unlabelled.labels == [Int](repeating: 0, count: 101) && unlabelled.classCount == 1)
    }

    /// float64 samples, int32 labels with a missing class, and an empty set.
    @Test func npyOtherDtypes() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let doubles: [Double] = [0.5, -1.25, 3, 1e-3, 7, -8]
        let x = dir.appendingPathComponent("x64.npy"), y = dir.appendingPathComponent("y32.npy")
        try Data(npyBytes(header("<f8", "(3, 2)"), payload: doubles.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })).write(to: x)
        try Data(npyBytes(header("<i4", "(3,)"), payload: [Int32(0), 4, 2].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })).write(to: y)
        let data = try Dataset(samplesFile: x, labelsFile: y)
        #expect(data.samples.scalars == doubles.map(Float.init) && data.labels == [0, 4, 2] && data.classCount == 5)
        #expect(data.classCounts == [1, 0, 1, 0, 1])
        let e = dir.appendingPathComponent("e.npy")
        try NumPyFile.write(float32: [], shape: [0, 3], to: e)
        let empty = try Dataset(samplesFile: e, labelsFile: nil)
        #expect(empty.count == 0 && empty.dimension == 3 && empty.classCount == 1)
    }

    /// Every malformed input: the error kind and a message naming the file and the problem.
    @Test func npyErrors() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func url(_ name: String) -> URL { dir.appendingPathComponent(name) }
        let good = url("good.npy")
        try NumPyFile.write(Matrix(rows: 4, columns: 2, repeating: 1), to: good)
        try NumPyFile.write(float32: [1, 2, 3, 4], shape: [4], to: url("flat.npy"))
        try NumPyFile.write(float32: [Float](repeating: 0, count: 8), shape: [2, 2, 2], to: url("cube.npy"))
        try NumPyFile.write(float32: [], shape: [4, 0], to: url("nocolumns.npy"))
        try NumPyFile.write(try Matrix(rows: 2, columns: 2, scalars: [1, .nan, 3, .infinity]), to: url("nan.npy"))
        try Data(npyBytes(header("<f8", "(1, 2)"), payload: [1.0, 1e300].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })).write(to: url("huge.npy"))
        try Data(npyBytes(header("<i8", "(2, 2)"), payload: [UInt8](repeating: 0, count: 32))).write(to: url("int.npy"))
        try Data("not numpy".utf8).write(to: url("text.npy"))
        try NumPyFile.write(integers: [0, 1, 2], to: url("short.npy"))
        try NumPyFile.write(integers: [0, 1, -1, 2], to: url("negative.npy"))
        try NumPyFile.write(float32: [0, 1, 0, 1], shape: [4], to: url("floatlabels.npy"))
        try Data(npyBytes(header("<i8", "(4, 1)"), payload: [UInt8](repeating: 0, count: 32))).write(to: url("labels2d.npy"))

        let cases: [(String, String?, DatasetError.Kind, [String])] = [
            ("missing.npy", nil, .file, ["samples file", "missing.npy", "no such file"]),
            ("text.npy", nil, .file, ["samples file", "text.npy", "not a .npy file"]),
            ("flat.npy", nil, .file, ["flat.npy", "expected a 2-D float array, got shape (4,)"]),
            ("cube.npy", nil, .file, ["cube.npy", "expected a 2-D float array, got shape (2, 2, 2)"]),
            ("int.npy", nil, .file, ["int.npy", "expected float32 ('<f4') or float64 ('<f8') data"]),
            ("nocolumns.npy", nil, .shapeMismatch, ["nocolumns.npy", "has no columns"]),
            ("nan.npy", nil, .nonFiniteValue, ["nan.npy", "2 of 2 rows contain NaN or infinity (the first is row 0, column 1)"]),
            ("huge.npy", nil, .nonFiniteValue, ["huge.npy", "row 0, column 1"]),
            ("good.npy", "missing.npy", .file, ["labels file", "missing.npy", "no such file"]),
            ("good.npy", "short.npy", .shapeMismatch, ["labels file", "short.npy", "3 labels for the 4 samples of", "good.npy"]),
            ("good.npy", "negative.npy", .invalidLabel, ["negative.npy", "label -1 at index 2 is negative"]),
            ("good.npy", "floatlabels.npy", .file, ["floatlabels.npy", "expected an integer array"]),
            ("good.npy", "labels2d.npy", .file, ["labels2d.npy", "expected a 1-D integer array, got shape (4, 1)"]),
            ("good.npy", "good.npy", .file, ["labels file", "expected a 1-D integer array"]),
        ]
        for (samples, labels, kind, fragments) in cases {
            #expect {
                try Dataset(samplesFile: url(samples), labelsFile: labels.map(url))
            } throws: { error in
                guard let error = error as? DatasetError else { return false }
                return error.kind == kind && fragments.allSatisfy { error.message.contains($0) }
            }
        }
        // A write into a missing directory names the file.
        let data = try Dataset.moons(count: 3, seed: 0)
        #expect { try data.write(samplesTo: url("no/such/dir/x.npy")) } throws: { error in
            (error as? DatasetError)?.kind == .file && "\(error)".contains("x.npy")
        }
        #expect { try data.write(samplesTo: url("x.npy"), labelsTo: url("no/y.npy")) } throws: { error in
            (error as? DatasetError)?.kind == .file && "\(error)".contains("labels file")
        }
    }
}

extension Dataset {
    /// The eight-Gaussians set with seed 0 (a shorthand for the tests).
    static func eightGaussians(count: Int) throws -> Dataset {
        try builtIn(name: "eight-gaussians", count: count, seed: 0)
    }
}
