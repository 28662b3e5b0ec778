#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import Testing
@testable import FlowGuide

// MARK: - Test models

/// A smooth 2-D mixture (broad components) on which the solvers show their asymptotic orders.
let smoothMixture = try! GaussianMixtureModel(
    weights: [1, 2, 1.5], means: [[1.5, -0.5], [-1, 1], [0.5, 2]], stds: [0.4, 0.5, 0.45], labels: [0, 1, 1])

/// Wraps a model and records the row count of every call (NFE bookkeeping).
struct CountingModel<Base: VelocityModel>: VelocityModel {
    let base: Base
    let calls = Calls()
    final class Calls: Sendable {
        let rows = Mutex<[Int]>([])
        var all: [Int] { rows.withLock { $0 } }
    }
    var dimension: Int { base.dimension }
    var classCount: Int { base.classCount }
    func velocity(_ x: Matrix, sigma: [Float], labels: [Int], into out: inout Matrix) throws(KernelError) {
        calls.rows.withLock { $0.append(x.rows) }
        try base.velocity(x, sigma: sigma, labels: labels, into: &out)
    }
}

/// v(x, σ) = a constant vector (independent of x, σ and class).
struct ConstantField: VelocityModel {
    let value: [Float]
    var dimension: Int { value.count }
    var classCount: Int { 2 }
    func velocity(_ x: Matrix, sigma: [Float], labels: [Int], into out: inout Matrix) throws(KernelError) {
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: out)
        for i in 0..<x.rows { for j in 0..<x.columns { out[i, j] = value[j] } }
    }
}

func sample<M: VelocityModel>(_ model: M, steps: Int = 8, solver: Solver = .euler, guidance: Guidance = .none,
                              grid: TimeGrid? = nil, count: Int = 64, labels: [Int]? = nil, seed: UInt64 = 7,
                              batchSize: Int? = nil) throws -> SamplingResult {
    let options = SamplerOptions(grid: try grid ?? TimeGrid.uniform(steps: steps), solver: solver, guidance: guidance)
    let request = SamplingRequest(count: count, labels: labels ?? (0..<count).map { $0 % model.classCount },
                                  seed: seed, batchSize: batchSize)
    return try Sampler(model: model, options: options).sample(request)
}

func maxRelativeError(_ a: Matrix, _ b: Matrix) -> Double { relativeError(a.scalars, b.scalars) }

// MARK: - Solvers

@Suite struct SolverTests {
    /// Order of convergence log2(e(N)/e(2N)) against a fine RK4 solution, on the smooth mixture.
    @Test(arguments: [
        (Solver.euler, 16, 0.85...1.15),
        (.heun, 8, 1.8...2.3),
        (.midpoint, 8, 1.8...2.3),
        (.ab2, 16, 1.7...2.3),
        (.rk4, 6, 3.5...4.5),
    ])
    func convergenceOrder(solver: Solver, steps: Int, expected: ClosedRange<Double>) throws {
        let fine = try sample(smoothMixture, steps: 512, solver: .rk4, count: 32).samples
        let coarse = try sample(smoothMixture, steps: steps, solver: solver, count: 32).samples
        let finer = try sample(smoothMixture, steps: 2 * steps, solver: solver, count: 32).samples
        let (e1, e2) = (maxRelativeError(coarse, fine), maxRelativeError(finer, fine))
        let order = log2(e1 / e2)
        #expect(expected.contains(order), "\(solver): errors \(e1) at \(steps) steps, \(e2) at \(2 * steps) → order \(order)")
    }

    /// NFE per sample, counted by the sampler and by the model, for every solver with and without CFG.
    @Test(arguments: Solver.allCases, [Float(1), 3])
    func nfeIsExact(solver: Solver, w: Float) throws {
        let model = CountingModel(base: GaussianMixtureModel.eightGaussians)
        let steps = 6
        let result = try sample(model, steps: steps, solver: solver,
                                guidance: Guidance(combiner: .cfg, scale: .constant(w)), count: 10)
        let evaluations = solver == .heun ? 2 * steps - 1 : solver.stages * steps
        let perEvaluation = w == 1 ? 1 : 2
        #expect(result.nfe == evaluations * perEvaluation)
        #expect(model.calls.all == Array(repeating: 10 * perEvaluation, count: evaluations),
                "one model call per evaluation, cond and uncond stacked")
        #expect(result.steps.last?.nfe == result.nfe)
    }

    @Test func cfgIntervalSkipsTheUnconditionalBranch() throws {
        let model = CountingModel(base: GaussianMixtureModel.eightGaussians)
        let grid = try TimeGrid.uniform(steps: 10)  // σ = 1, 0.9, …, 0.1 start the steps
        let result = try sample(model, guidance: Guidance(combiner: .cfg, scale: .interval(3, sigmas: 0.25...0.75)), grid: grid,
                                count: 5)
        let guided = grid.sigmas.dropLast().filter { (0.25...0.75).contains($0) }.count
        #expect(result.nfe == 10 + guided)
        #expect(model.calls.all.filter { $0 == 10 }.count == guided)
    }

    @Test func midpointAndHeunEqualTheirFormulasOnOneStep() throws {
        // One step from σ = 1 to 0.5 on the mixture, written out with the model directly.
        let model = smoothMixture
        let grid = try TimeGrid.custom([1, 0.5, 0])
        let x0 = try NoiseGenerator(seed: 7, stream: Sampler<GaussianMixtureModel>.initialNoiseStream)
            .normal(rows: 4, columns: 2)
        let labels = [0, 1, 0, 1]
        func v(_ x: Matrix, _ s: Float) throws -> Matrix { try model.velocity(x, sigma: [Float](repeating: s, count: 4), labels: labels) }
        func axpy(_ x: Matrix, _ h: Float, _ k: Matrix) -> Matrix {
            var out = x
            for i in out.scalars.indices { out.scalars[i] += h * k.scalars[i] }
            return out
        }
        let k1 = try v(x0, 1)
        let heun = axpy(axpy(x0, -0.25, k1), -0.25, try v(axpy(x0, -0.5, k1), 0.5))
        let midpoint = axpy(x0, -0.5, try v(axpy(x0, -0.25, k1), 0.75))
        let options = { (s: Solver) in SamplerOptions(grid: grid, solver: s) }
        let request = SamplingRequest(count: 4, labels: labels, seed: 7, recordTrajectory: true)
        let h = try Sampler(model: model, options: options(.heun)).sample(request)
        let m = try Sampler(model: model, options: options(.midpoint)).sample(request)
        #expect(maxRelativeError(h.trajectory![1], heun) < 1e-6)
        #expect(maxRelativeError(m.trajectory![1], midpoint) < 1e-6)
    }
}

// MARK: - Guidance

@Suite struct SamplerGuidanceTests {
    @Test(arguments: Solver.allCases)
    func momentumWithAlphaZeroIsThePlainSolver(solver: Solver) throws {
        let plain = try sample(GaussianMixtureModel.eightGaussians, solver: solver).samples
        let mg = try sample(GaussianMixtureModel.eightGaussians, solver: solver,
                            guidance: Guidance(momentum: MomentumGuidance(alpha: 0, beta: 0.6))).samples
        #expect(maxRelativeError(mg, plain) < 1e-6)
    }

    @Test func momentumWithBetaZeroAndAlphaHalfIsAdamsBashforth2() throws {
        let ab2 = try sample(GaussianMixtureModel.ring25, steps: 12, solver: .ab2).samples
        let mg = try sample(GaussianMixtureModel.ring25, steps: 12,
                            guidance: Guidance(momentum: MomentumGuidance(alpha: 0.5, beta: 0))).samples
        #expect(maxRelativeError(mg, ab2) < 1e-5)
    }

    @Test(arguments: [false, true], [false, true])
    func momentumLeavesAConstantFieldUnchanged(normalize: Bool, debias: Bool) throws {
        let field = ConstantField(value: [0.5, -2, 3])
        let plain = try sample(field, count: 5).samples
        let mg = try sample(field, guidance: Guidance(momentum: MomentumGuidance(alpha: 1.5, beta: 0.8,
                                                                               normalize: normalize,
                                                                               debias: debias)), count: 5).samples
        #expect(maxRelativeError(mg, plain) < 1e-6)
    }

    @Test func momentumChangesSamplesAndItsStateResetsBetweenRuns() throws {
        let options = SamplerOptions(grid: try .uniform(steps: 8), guidance: .momentum(alpha: 1, beta: 0.5))
        let sampler = Sampler(model: GaussianMixtureModel.eightGaussians, options: options)
        let request = SamplingRequest(count: 20, labels: [3])
        let first = try sampler.sample(request).samples
        let second = try sampler.sample(request).samples
        #expect(first == second)
        let plain = try sample(GaussianMixtureModel.eightGaussians, count: 20, labels: [3], seed: 0).samples
        #expect(maxRelativeError(first, plain) > 1e-3)
    }

    @Test func momentumWindowOutsideEveryStepIsPlainSolverButKeepsTheAverage() throws {
        let windowed = try sample(GaussianMixtureModel.eightGaussians,
                                  guidance: Guidance(momentum: MomentumGuidance(alpha: 1), momentumWindow: 2...3)).samples
        let plain = try sample(GaussianMixtureModel.eightGaussians).samples
        #expect(maxRelativeError(windowed, plain) < 1e-6)
    }

    @Test(arguments: [AdaptiveProjectedGuidance.Space.denoised, .velocity], Solver.allCases)
    func apgWithEtaOneNoThresholdNoMomentumIsCFG(space: AdaptiveProjectedGuidance.Space, solver: Solver) throws {
        let cfg = try sample(GaussianMixtureModel.eightGaussians, solver: solver, guidance: .cfg(3)).samples
        let apg = try sample(GaussianMixtureModel.eightGaussians, solver: solver,
                             guidance: Guidance(combiner: .apg(eta: 1, threshold: .infinity, momentum: 0, space: space),
                                                scale: .constant(3))).samples
        #expect(maxRelativeError(apg, cfg) < 2e-5)
    }

    @Test func cfgVariantsAtScaleOneAreUnguided() throws {
        let plain = try sample(GaussianMixtureModel.eightGaussians).samples
        for combiner in [BranchCombiner.cfg, .cfgRescale(phi: 0.7), .cfgZeroStar(), .apg()] {
            let r = try sample(GaussianMixtureModel.eightGaussians, guidance: Guidance(combiner: combiner, scale: .constant(1)))
            #expect(r.samples == plain, "\(combiner)")
            #expect(r.nfe == 8)
        }
    }

    @Test func cfgZeroStarZeroInitSkipsTheFirstSteps() throws {
        let model = CountingModel(base: GaussianMixtureModel.eightGaussians)
        let result = try sample(model, guidance: Guidance(combiner: .cfgZeroStar(zeroInitSteps: 2), scale: .constant(3)),
                                count: 4, batchSize: nil)
        #expect(result.nfe == 2 * 6)
        #expect(result.steps[0].guidanceScale == 0 && result.steps[1].nfe == 0)
    }

    @Test func invalidOptionsAreRejectedWithAMessage() throws {
        let cases: [(Guidance, String)] = [
            (Guidance(combiner: .cfgRescale(phi: 2), scale: .constant(3)), "rescale"),
            (Guidance(combiner: .cfgZeroStar(zeroInitSteps: 99), scale: .constant(3)), "zero-init"),
            (Guidance(combiner: .apg(threshold: 0), scale: .constant(3)), "threshold"),
            (Guidance(combiner: .cfg, scale: .constant(.nan)), "finite"),
            (Guidance(momentum: MomentumGuidance(beta: 1)), "β"),
            (Guidance(combiner: .cfg, scale: .custom { _, _ in .infinity }), "scale"),
        ]
        for (guidance, word) in cases {
            #expect { try sample(GaussianMixtureModel.eightGaussians, guidance: guidance) } throws: { error in
                (error as? KernelError)?.detail.contains(word) == true
            }
        }
        #expect(throws: KernelError.self) { try sample(GaussianMixtureModel.eightGaussians, count: 3, labels: [0, 1]) }
        #expect(throws: KernelError.self) { try sample(GaussianMixtureModel.eightGaussians, count: 3, labels: [8]) }
    }
}

// MARK: - Determinism, progress, cancellation, concurrency

@Suite struct SamplerRunTests {
    static let chains: [Guidance] = [
        .none, .cfg(3), .momentum(alpha: 0.7, beta: 0.5),
        Guidance(combiner: .cfg, scale: .constant(2.5), momentum: MomentumGuidance(normalize: true)),
        Guidance(combiner: .apg(eta: 0.5, threshold: 3, momentum: -0.5), scale: .constant(4),
                 momentum: MomentumGuidance(debias: true)),
    ]

    @Test(arguments: Solver.allCases)
    func batchSplitsAndThreadCountsGiveTheSameBits(solver: Solver) throws {
        let model = GaussianMixtureModel.mixture64
        for guidance in Self.chains {
            let whole = try sample(model, solver: solver, guidance: guidance, count: 300)
            let split = try sample(model, solver: solver, guidance: guidance, count: 300, batchSize: 37)
            #expect(whole.samples == split.samples)
            // Shards: two requests with firstIndex give the rows of the whole run.
            let options = SamplerOptions(grid: try .uniform(steps: 8), solver: solver, guidance: guidance)
            let labels = (0..<300).map { $0 % model.classCount }
            let tail = try Sampler(model: model, options: options).sample(
                SamplingRequest(count: 100, labels: Array(labels[200...]), seed: 7, firstIndex: 200))
            #expect(Array(whole.samples.scalars[(200 * 64)...]) == tail.samples.scalars)
        }
        let saved = KernelRuntime.threadCount
        defer { try? KernelRuntime.setThreadCount(saved) }
        try KernelRuntime.setThreadCount(1)
        let one = try sample(model, solver: solver, guidance: Self.chains[3], count: 600)
        try KernelRuntime.setThreadCount(2)
        let two = try sample(model, solver: solver, guidance: Self.chains[3], count: 600)
        #expect(one.samples == two.samples)
    }

    @Test func initialPointsReplaceTheNoiseAndTrajectoryRecordsEveryStep() throws {
        let model = GaussianMixtureModel.eightGaussians
        let start = randomMatrix(rows: 9, columns: 2, seed: 3)
        let options = SamplerOptions(grid: try .uniform(steps: 5), guidance: .cfg(2))
        let result = try Sampler(model: model, options: options).sample(
            SamplingRequest(count: 9, labels: [2], initialPoints: start, recordTrajectory: true, batchSize: 4))
        #expect(result.trajectory?.count == 6)
        #expect(result.trajectory?.first == start)
        #expect(result.trajectory?.last == result.samples)
    }

    @Test func progressReportsEveryStepWithDiagnostics() throws {
        let options = SamplerOptions(grid: try .uniform(steps: 6),
                                     guidance: Guidance(combiner: .cfg, scale: .constant(3), momentum: MomentumGuidance()))
        var seen: [SamplingProgress] = []
        let result = try Sampler(model: GaussianMixtureModel.eightGaussians, options: options).sample(
            SamplingRequest(count: 50, labels: [1], diagnostics: true, batchSize: 25)) { seen.append($0) }
        #expect(seen.count == 12)
        #expect(seen.map(\.batch) == Array(repeating: 0, count: 6) + Array(repeating: 1, count: 6))
        #expect(seen.last?.fractionCompleted == 1)
        #expect(seen.allSatisfy { $0.guidanceScale == 3 && ($0.branchGap ?? -1) >= 0 })
        #expect(seen[0].branchGap! > 0, "the class-conditional and unconditional fields differ at σ = 1")
        // MG's first step of each batch is plain Euler: no correction yet.
        for (i, p) in seen.enumerated() {
            #expect(p.momentumActive == (p.step > 1), "record \(i)")
            #expect((p.momentumCorrection != nil) == (p.step > 1), "record \(i)")
        }
        #expect(result.steps.map(\.sigma) == Array(try TimeGrid.uniform(steps: 6).sigmas.dropFirst()))
    }

    @Test func cancellationStopsWithinOneStep() async throws {
        let model = CountingModel(base: GaussianMixtureModel.eightGaussians)
        let sampler = Sampler(model: model, options: SamplerOptions(grid: try .uniform(steps: 50)))
        let steps = Mutex(0)
        let task = Task {
            try await sampler.sample(SamplingRequest(count: 10, label: 0)) { progress in
                steps.withLock { $0 = progress.step }
                if progress.step == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(steps.withLock { $0 } == 3)
        #expect(model.calls.all.count == 3)
    }

    @Test func eventsStreamEndsWithTheResult() async throws {
        let sampler = Sampler(model: GaussianMixtureModel.eightGaussians, options: SamplerOptions(grid: try .uniform(steps: 4)))
        var steps = 0
        var result: SamplingResult?
        for try await event in sampler.events(SamplingRequest(count: 8, label: 0)) {
            switch event {
            case .step: steps += 1
            case .finished(let r): result = r
            }
        }
        #expect(steps == 4)
        #expect(result?.nfe == 4)
    }

    @Test func concurrentSamplersAgreeWithSerialRuns() async throws {
        let model = GaussianMixtureModel.mixture64
        let guidances = Self.chains
        let serial = try guidances.map { try sample(model, steps: 6, solver: .heun, guidance: $0, count: 128).samples }
        let parallel = try await withThrowingTaskGroup(of: (Int, Matrix).self) { group in
            for (i, g) in guidances.enumerated() {
                group.addTask { (i, try sample(model, steps: 6, solver: .heun, guidance: g, count: 128).samples) }
            }
            var out = [Matrix?](repeating: nil, count: guidances.count)
            for try await (i, m) in group { out[i] = m }
            return out
        }
        #expect(parallel == serial)
    }
}
