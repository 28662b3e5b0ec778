import ArgumentParser
import FlowGuide
import Foundation

/// `flowguide sample`: integrates the model's flow with a solver and a guidance chain and writes
/// the samples (docs/sampling.md fixes the semantics, docs/cli.md the flags).
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample a model with a solver and a guidance chain (CFG, APG, Momentum Guidance).",
        discussion: "Sample k (global index) starts from the seeded noise of row k, so shards (--shard K/N) concatenated in order equal the unsharded run, bit for bit."
    )

    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Samples") var samples: SampleSetOptions
    @OptionGroup(title: "Grid and solver") var grid: GridOptions
    @OptionGroup(title: "Guidance") var guidance: GuidanceOptions
    @OptionGroup(title: "Runtime") var runtime: RuntimeOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func run() throws {
        // Everything that can fail before sampling is checked first: nothing is written on error.
        try runtime.apply()
        let loaded = try model.load()
        let plan = try samples.plan(for: loaded)
        let timeGrid = try grid.timeGrid()
        try output.checkDestinations(dimension: loaded.dimension)
        if let k = guidance.zeroInitSteps, k > timeGrid.steps {
            throw RunError("--zero-init \(k) is more than the \(timeGrid.steps) steps of the grid")
        }
        let options = SamplerOptions(grid: timeGrid, solver: grid.solver, guidance: guidance.guidance)
        let request = SamplingRequest(count: plan.range.count, labels: plan.labels, seed: samples.seed,
                                      firstIndex: plan.range.lowerBound, initialPoints: plan.initialPoints,
                                      recordTrajectory: output.trajectory != nil, batchSize: samples.batchSize)

        let bar = ProgressBar.wanted(disabled: output.noProgress) ? ProgressBar(rows: plan.range.count) : nil
        defer { bar?.finish() }
        let clock = ContinuousClock.now
        /// Samples any velocity model (the existential is opened here).
        func sample<Model: VelocityModel>(_ velocityModel: Model) throws -> SamplingResult {
            try Sampler(model: velocityModel, options: options).sample(request, progress: bar.map { bar in { bar.update($0) } })
        }
        let result = try sample(loaded.velocityModel)
        let seconds = ProgressBar.seconds(ContinuousClock.now - clock)
        bar?.finish()

        try write(result, plan: plan, model: loaded, steps: timeGrid.steps)
        let report = SampleReport(command: self, plan: plan, dimension: loaded.dimension, steps: timeGrid.steps,
                                  nfe: result.nfe, seconds: seconds)
        if output.json {
            print(try report.json())
        } else {
            FileHandle.standardError.write(Data((report.line + "\n").utf8))
        }
    }

    /// Writes the samples, the trajectory and the plot.
    private func write(_ result: SamplingResult, plan: SampleSetOptions.Plan, model loaded: LoadedModel,
                       steps: Int) throws {
        try NumPyFile.write(result.samples, to: URL(fileURLWithPath: output.output))
        if let path = output.trajectory, let trajectory = result.trajectory {
            try NumPyFile.write(float32: trajectory.flatMap(\.scalars),
                                shape: [trajectory.count, result.samples.rows, result.samples.columns],
                                to: URL(fileURLWithPath: path))
        }
        if let path = output.plot {
            let labels = plan.rowLabels
            var plot = ScatterPlot(title: "\(model.name), \(grid.solver.rawValue) \(steps) steps, \(guidance.summary)")
            if let truth = try loaded.referenceSamples(labels: labels, seed: samples.seed,
                                                      firstIndex: plan.range.lowerBound) {
                try plot.add(truth, name: "data (same labels)", markerRadius: 1.2)
            }
            try plot.add(result.samples, labels: labels, name: "samples", markerRadius: 1.5)
            try plot.write(to: URL(fileURLWithPath: path))
        }
    }
}
