import FlowGuide
import Foundation

/// The end-of-run report of `flowguide sample`: a one-line summary for stderr, or JSON for stdout.
struct SampleReport: Encodable {
    var model: String
    var count: Int
    var totalCount: Int
    var firstIndex: Int
    var shard: String
    var dimension: Int
    var steps: Int
    var solver: String
    var grid: String
    var seed: UInt64
    var nfe: Int
    var seconds: Double
    var samplesPerSecond: Double
    var output: String
    var trajectory: String?
    var plot: String?
    var guidance: String
    var threads: Int
    var blas: String

    enum CodingKeys: String, CodingKey {
        case model, count, totalCount = "total_count", firstIndex = "first_index", shard, dimension, steps, solver,
             grid, seed, nfe, seconds, samplesPerSecond = "samples_per_second", output, trajectory, plot, guidance,
             threads, blas
    }

    init(command: SampleCommand, plan: SampleSetOptions.Plan, dimension: Int, steps: Int, nfe: Int, seconds: Double) {
        model = command.model.name
        count = plan.range.count
        totalCount = command.samples.count
        firstIndex = plan.range.lowerBound
        shard = command.samples.shard.description
        self.dimension = dimension
        self.steps = steps
        solver = command.grid.solver.rawValue
        grid = command.grid.gridDescription
        seed = command.samples.seed
        self.nfe = nfe
        self.seconds = seconds
        samplesPerSecond = seconds > 0 ? Double(plan.range.count) / seconds : 0
        output = command.output.output
        trajectory = command.output.trajectory
        plot = command.output.plot
        guidance = command.guidance.summary
        threads = KernelRuntime.threadCount
        blas = KernelRuntime.blas.description
    }

    /// E.g. `1000 samples, 16 steps (euler), NFE 32, 0.012 s, 83 000 samples/s -> samples.npy`.
    var line: String {
        var text = "\(count) samples"
        if shard != Shard.whole.description {
            text += " (shard \(shard): \(firstIndex)..<\(firstIndex + count) of \(totalCount))"
        }
        text += ", \(steps) steps (\(solver)), NFE \(nfe), \(String(format: "%.3f", seconds)) s, "
            + "\(Format.grouped(Int(samplesPerSecond.rounded()))) samples/s"
        if guidance != "none" { text += ", \(guidance)" }
        text += " -> \(output)"
        if let trajectory { text += ", \(trajectory)" }
        if let plot { text += ", \(plot)" }
        return text
    }

    /// One JSON object (keys sorted), on one line.
    func json() throws -> String {
        try JSONLine.encode(self)
    }
}
