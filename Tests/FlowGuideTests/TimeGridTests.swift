import Testing
@testable import FlowGuide

// MARK: - Reference values
// Computed independently in float64 NumPy by Tests/Fixtures/time_grids.py;
// regenerate with `python3 Tests/Fixtures/time_grids.py` and paste its output here.

let sd3Expected: [(steps: Int, shift: Double, sigmas: [Double])] = [
    (4, 3.0, [1, 0.90000000000000002, 0.75, 0.5, 0]),
    (10, 3.0, [1, 0.96428571428571441, 0.92307692307692313, 0.87499999999999989, 0.81818181818181801, 0.75, 0.66666666666666663, 0.56249999999999989, 0.42857142857142849, 0.24999999999999994, 0]),
    (7, 0.5, [1, 0.75000000000000011, 0.55555555555555558, 0.39999999999999997, 0.27272727272727276, 0.16666666666666674, 0.076923076923076941, 0]),
    (5, 1.0, [1, 0.80000000000000004, 0.59999999999999998, 0.39999999999999991, 0.19999999999999996, 0]),
]
let fluxExpected: [(steps: Int, tokens: Int, sigmas: [Double])] = [
    (4, 4096, [1, 0.90453076673863964, 0.7595109169491111, 0.51284410150913384, 0]),
    (6, 1024, [1, 0.90373556912151576, 0.78970483881565467, 0.65248946219274451, 0.48421844867685548, 0.27300332835436297, 0]),
    (5, 256, [1, 0.86833243833213292, 0.71207128796531516, 0.52361613777694893, 0.2918751327405783, 0]),
    (3, 64, [1, 0.76145029103415585, 0.44382635067760773, 0]),
    (8, 8192, [1, 0.97788732504611808, 0.94988143256215196, 0.91326423638623333, 0.86334245814150667, 0.79125513682093673, 0.67802735488005694, 0.47437825813469736, 0]),
]
let fluxMuExpected: [(tokens: Int, mu: Double)] = [(0, 0.45666666666666667), (64, 0.46749999999999997), (256, 0.5), (1024, 0.63), (4096, 1.1499999999999999), (8192, 1.8433333333333333)]

/// A float32 σ equals the float64 reference up to the float32 rounding of values in [0, 1].
private func expectClose(_ grid: TimeGrid, _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(grid.sigmas.count == expected.count, sourceLocation: sourceLocation)
    for (got, want) in zip(grid.sigmas, expected) {
        #expect(abs(Double(got) - want) <= 1e-7, "σ = \(got), expected \(want)", sourceLocation: sourceLocation)
    }
}

@Suite struct TimeGridTests {
    @Test(arguments: [1, 2, 5, 28, 1000])
    func uniformGridIsEvenlySpaced(steps: Int) throws {
        let grid = try TimeGrid.uniform(steps: steps)
        #expect(grid.steps == steps)
        #expect(grid.sigmas.first == 1 && grid.sigmas.last == 0)
        for (i, s) in grid.sigmas.enumerated() {
            #expect(abs(Double(s) - (1 - Double(i) / Double(steps))) <= 1e-7)
        }
        #expect(grid.stepSizes.count == steps)
        #expect(grid.stepSizes.allSatisfy { abs(Double($0) + 1 / Double(steps)) <= 2e-7 })
    }

    @Test(arguments: sd3Expected.indices)
    func sd3ShiftMatchesNumPy(_ k: Int) throws {
        let c = sd3Expected[k]
        try expectClose(TimeGrid.sd3(steps: c.steps, shift: c.shift), c.sigmas)
    }

    @Test(arguments: fluxExpected.indices)
    func fluxShiftMatchesNumPy(_ k: Int) throws {
        let c = fluxExpected[k]
        try expectClose(TimeGrid.flux(steps: c.steps, tokens: c.tokens), c.sigmas)
    }

    @Test(arguments: fluxMuExpected.indices)
    func fluxMuIsLinearAndExtrapolated(_ k: Int) {
        let c = fluxMuExpected[k]
        #expect(abs(TimeGrid.fluxMu(tokens: c.tokens) - c.mu) <= 1e-14)
    }

    @Test func sd3WithUnitShiftIsUniform() throws {
        #expect(try TimeGrid.sd3(steps: 12, shift: 1) == TimeGrid.uniform(steps: 12))
    }

    @Test func stepSizesAndPaperTime() throws {
        let grid = try TimeGrid.custom([0.8, 0.5, 0.25, 0])
        #expect(grid.steps == 3)
        #expect(grid.stepSizes == [0.5 - 0.8, 0.25 - 0.5, -0.25])
        #expect(grid.times == [1 - 0.8, 0.5, 0.75, 1])
        #expect(TimeGrid.time(fromSigma: 0.25) == 0.75)
        #expect(TimeGrid.sigma(fromTime: TimeGrid.time(fromSigma: 0.375)) == 0.375)
    }

    @Test func customGridKeepsItsValuesAndNormalizesNegativeZero() throws {
        let grid = try TimeGrid.custom([1, 0.3, -0.0])
        #expect(grid.sigmas == [1, 0.3, 0])
        #expect(grid.sigmas.last!.sign == .plus)
        #expect(try TimeGrid.custom([0.5, 0]).steps == 1)
    }

    /// Each malformed grid and the message it must produce (naming the index and values).
    static let badGrids: [(sigmas: [Float], message: String)] = [
        ([], "at least 2 σ values, got 0"),
        ([1], "at least 2 σ values, got 1"),
        ([1, .nan, 0], "σ[1] = nan is not finite"),
        ([.infinity, 0.5, 0], "σ[0] = inf is not finite"),
        ([1.5, 0.5, 0], "σ[0] = 1.5 must be in (0, 1]"),
        ([0, 0], "σ[0] = 0.0 must be in (0, 1]"),
        ([-0.5, -1, 0], "σ[0] = -0.5 must be in (0, 1]"),
        ([1, 0.5, 0.5, 0], "strictly decreasing, but σ[1] = 0.5 and σ[2] = 0.5"),
        ([1, 0.4, 0.6, 0], "strictly decreasing, but σ[1] = 0.4 and σ[2] = 0.6"),
        ([1, 0.5, 0.1], "the last value σ[2] = 0.1 must be 0"),
        ([1, 0.5, -0.1], "the last value σ[2] = -0.1 must be 0"),
    ]

    @Test(arguments: badGrids)
    func customGridRejects(_ sigmas: [Float], message: String) {
        #expect {
            _ = try TimeGrid.custom(sigmas)
        } throws: { error in
            guard let e = error as? KernelError else { return false }
            return e.code == .invalidArgument && e.detail.contains(message)
        }
    }

    @Test func badScheduleArgumentsThrow() {
        #expect(throws: KernelError.self) { try TimeGrid.uniform(steps: 0) }
        #expect(throws: KernelError.self) { try TimeGrid.sd3(steps: 4, shift: 0) }
        #expect(throws: KernelError.self) { try TimeGrid.sd3(steps: 4, shift: .nan) }
        #expect(throws: KernelError.self) { try TimeGrid.flux(steps: 4, tokens: 0) }
        #expect(throws: KernelError.self) { try TimeGrid.flux(steps: -1, tokens: 256) }
    }
}
