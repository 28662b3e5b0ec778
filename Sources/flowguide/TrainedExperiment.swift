import FlowGuide
import Foundation

/// The trained-model guidance comparison behind `flowguide experiment --suite trained`.
///
/// For each committed model (trained by models/train.sh on a built-in dataset with data seed 0):
/// 1. **Tuning** on the tuning seeds: every MG (α, β) of the grid, with and without the σ window,
///    and CFG (w = 2) + MG over the same grid, at every step budget; per budget the (α, β) with
///    the lowest mean class Fréchet distance is kept (separately for MG, windowed MG and CFG + MG).
/// 2. **Test** on the disjoint test seeds: Euler, Heun at equal NFE, the tuned MG settings, CFG
///    at each w, CFG + the tuned MG at each w, APG, plus at the frontier budget the α sweeps.
///
/// Run with sampling seed s, `count` samples with labels k mod C are compared with `count` rows
/// of the model's dataset drawn with data seed 10 000 + s: fresh rows the model never trained
/// on (it trained on data seed 0). Metrics: k-NN precision and recall (k = 3), Fréchet distance,
/// the mean over classes of the per-class Fréchet distance, sliced Wasserstein-2 (128
/// directions), and the within-class spread ratio (see ``spreadRatio``).
struct TrainedExperiment {
    let count: Int
    let testSeeds: [UInt64]
    let tuningSeeds: [UInt64]
    let budgets: [Int]
    let modelDirectory: URL
    let plotDirectory: URL
    let reportDirectory: URL
    let progress: ((String) -> Void)?

    /// The committed models: a short name and the file in `modelDirectory`.
    static let models = [("eight-gaussians", "eight-gaussians-mlp.safetensors"), ("spirals16", "spirals16-mlp.safetensors")]

    static let alphas: [Float] = [0.25, 0.5, 1, 1.5]
    static let betas: [Float] = [0, 0.3, 0.6, 0.8]
    static let cfgScales: [Float] = [1.5, 2, 3, 4]
    /// The CFG scale of the headline comparison and of the CFG + MG tuning.
    static let headlineScale: Float = 2
    static let apgScales: [Float] = [2, 4]

    /// The metrics, in table order, and whether lower is better.
    static let metricNames = ["precision", "recall", "Fréchet", "class Fréchet", "sliced W2", "spread"]
    static let (precision, recall, frechet, classFrechet, sliced, spread) = (0, 1, 2, 3, 4, 5)
    /// The metric α, β are tuned on and the findings use: the class Fréchet distance. A single
    /// Gaussian fitted to all samples of a multi-modal 2-D set hardly sees how tight each cluster
    /// is (the over-concentration MG corrects); a Gaussian per class does.
    static let primary = classFrechet

    /// Per metric, the value of every seed; and the NFE per sample of the run.
    struct Measurement {
        var values: [[Double]]
        var nfe: Int
        func mean(_ metric: Int) -> Double { TrainedExperiment.mean(values[metric]) }
    }

    struct ModelResult {
        let name: String
        let file: String
        let dataset: String
        let trainingData: String
        let dimension: Int
        let classCount: Int
        let parameterCount: Int
        /// Tuned (α, β) per budget: MG, windowed MG, CFG (w 2) + MG.
        let mg: [Int: ExperimentSetting]
        let mgWindowed: [Int: ExperimentSetting]
        let cfgMG: [Int: (alpha: Float, beta: Float)]
        /// Mean class Fréchet distance on the tuning seeds: setting → budget → value.
        let tuning: [ExperimentSetting: [Int: Double]]
        /// Test-seed measurements by setting and budget.
        let test: [ExperimentSetting: [Int: Measurement]]
        /// A second reference draw against the first (test seeds): the metrics' noise floor.
        let floor: Measurement
        /// Euler with the exact velocity of the data's mixture (when the dataset is one), per budget.
        let exact: [Int: Measurement]
        let frontierBudget: Int
        /// Scatter plots (2-D models): method name and file.
        let scatterPlots: [(String, String)]
        /// Line plots: caption and file.
        let linePlots: [(String, String)]
    }

    func run() throws -> [ModelResult] {
        // Load every model before writing anything, so a missing file fails cleanly.
        let loaded = try Self.models.map { ($0.0, $0.1, try load($0.1)) }
        try FileManager.default.createDirectory(at: plotDirectory, withIntermediateDirectories: true)
        return try loaded.map { try run(name: $0.0, file: $0.1, safeTensors: $0.2) }
    }

    /// The frontier budget: 8 steps if measured, else the fewest.
    var frontierBudget: Int { budgets.contains(8) ? 8 : budgets.min()! }

    private func load(_ file: String) throws -> SafeTensors {
        let url = modelDirectory.appendingPathComponent(file)
        do { return try SafeTensors(contentsOf: url) } catch {
            throw RunError("\(url.relativePath): \(error) (models/train.sh makes it)")
        }
    }

    private func run(name: String, file: String, safeTensors: SafeTensors) throws -> ModelResult {
        let url = modelDirectory.appendingPathComponent(file)
        let model = try MLPVelocityModel(safeTensors: safeTensors)
        guard let dataset = safeTensors.metadata["dataset"], Dataset.builtInNames.contains(dataset) else {
            throw RunError("\(url.relativePath): no built-in dataset in its metadata (train it with flowguide train --dataset)")
        }
        let runner = try ModelRunner(model: model, dataset: dataset, count: count, seeds: tuningSeeds + testSeeds)
        let say = { (text: String) in progress?("experiment trained: \(name) · \(text)") }

        // 1. Tuning.
        var tuning: [ExperimentSetting: [Int: Double]] = [:]
        var grid: [ExperimentSetting] = [.euler]   // the baseline, for the tuning table
        for windowed in [false, true] {
            for a in Self.alphas { for b in Self.betas { grid.append(.mg(a, b, windowed: windowed)) } }
        }
        for a in Self.alphas { for b in Self.betas { grid.append(.cfgMG(Self.headlineScale, a, b)) } }
        for (i, setting) in grid.enumerated() {
            for budget in budgets {
                tuning[setting, default: [:]][budget] = try runner.measure(setting, budget: budget, seeds: tuningSeeds)
                    .mean(Self.primary)
            }
            say("tuning \(i + 1)/\(grid.count): \(setting.name)")
        }
        func best(_ candidates: [ExperimentSetting], _ budget: Int) -> ExperimentSetting {
            // A diverged run (NaN) never wins; ties resolve to the first in grid order.
            func score(_ s: ExperimentSetting) -> Double {
                let v = tuning[s]?[budget] ?? .infinity
                return v.isNaN ? .infinity : v
            }
            return candidates.min { score($0) < score($1) }!
        }
        var mg: [Int: ExperimentSetting] = [:], mgWindowed: [Int: ExperimentSetting] = [:]
        var cfgMG: [Int: (alpha: Float, beta: Float)] = [:]
        for budget in budgets {
            mg[budget] = best(grid.filter { $0.method == .mg && !$0.windowed }, budget)
            mgWindowed[budget] = best(grid.filter { $0.method == .mg && $0.windowed }, budget)
            let c = best(grid.filter { $0.method == .cfgMG }, budget)
            cfgMG[budget] = (c.alpha, c.beta)
        }

        // 2. Test.
        var test: [ExperimentSetting: [Int: Measurement]] = [:]
        func measure(_ setting: ExperimentSetting, _ budget: Int) throws {
            guard test[setting]?[budget] == nil else { return }
            test[setting, default: [:]][budget] = try runner.measure(setting, budget: budget, seeds: testSeeds)
        }
        for budget in budgets {
            var settings: [ExperimentSetting] = [.euler, .heun, mg[budget]!, mgWindowed[budget]!]
            let (a, b) = cfgMG[budget]!
            for w in Self.cfgScales { settings += [.cfg(w), .cfgMG(w, a, b)] }
            settings += Self.apgScales.map(ExperimentSetting.apg)
            if budget == frontierBudget {
                settings.append(.cfgMG(1, a, b))
                for alpha in Self.alphas {
                    settings += [.mg(alpha, mg[budget]!.beta), .cfgMG(Self.headlineScale, alpha, b)]
                }
            }
            for setting in settings { try measure(setting, budget) }
            say("test: \(budget) steps (\(settings.count) settings)")
        }
        let floor = try runner.referenceFloor(seeds: testSeeds)
        var exact: [Int: Measurement] = [:]
        if let mixture = Dataset.groundTruthMixture(name: dataset) {
            for budget in budgets {
                exact[budget] = try runner.measure(.euler, budget: budget, seeds: testSeeds, model: mixture)
            }
            say("exact-velocity Euler")
        }

        let result = ModelResult(
            name: name, file: file, dataset: dataset, trainingData: safeTensors.metadata["data"] ?? dataset,
            dimension: model.dimension, classCount: model.classCount, parameterCount: model.parameters.count,
            mg: mg, mgWindowed: mgWindowed, cfgMG: cfgMG, tuning: tuning, test: test, floor: floor, exact: exact,
            frontierBudget: frontierBudget, scatterPlots: [], linePlots: [])
        let scatter = model.dimension == 2 ? try scatterPlots(result, runner: runner) : []
        let lines = try linePlots(result)
        say("plots")
        return ModelResult(
            name: result.name, file: result.file, dataset: result.dataset, trainingData: result.trainingData,
            dimension: result.dimension, classCount: result.classCount, parameterCount: result.parameterCount,
            mg: mg, mgWindowed: mgWindowed, cfgMG: cfgMG, tuning: tuning, test: test, floor: floor, exact: exact,
            frontierBudget: frontierBudget, scatterPlots: scatter, linePlots: lines)
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
}

/// Samples one model and measures the samples against reference data, per seed.
final class ModelRunner {
    let model: MLPVelocityModel
    let count: Int
    /// Reference data per sampling seed (data seed 10 000 + seed).
    let references: [UInt64: Dataset]

    init(model: MLPVelocityModel, dataset: String, count: Int, seeds: [UInt64]) throws {
        self.model = model
        self.count = count
        var references: [UInt64: Dataset] = [:]
        for seed in seeds {
            references[seed] = try Dataset.builtIn(name: dataset, count: count, seed: 10_000 + seed)
        }
        self.references = references
    }

    /// The samples of `setting` at `budget` with sampling seed `seed` (labels k mod C).
    func samples<Model: VelocityModel>(_ setting: ExperimentSetting, budget: Int, seed: UInt64,
                                       model: Model) throws -> SamplingResult {
        let sampler = Sampler(model: model, options: try setting.options(budget: budget))
        return try sampler.sample(SamplingRequest(count: count, labels: references[seed]!.labels, seed: seed))
    }

    func measure(_ setting: ExperimentSetting, budget: Int, seeds: [UInt64]) throws -> TrainedExperiment.Measurement {
        try measure(setting, budget: budget, seeds: seeds, model: model)
    }

    func measure<Model: VelocityModel>(_ setting: ExperimentSetting, budget: Int, seeds: [UInt64],
                                       model: Model) throws -> TrainedExperiment.Measurement {
        var m = TrainedExperiment.Measurement(values: Array(repeating: [], count: TrainedExperiment.metricNames.count), nfe: 0)
        for seed in seeds {
            let result = try samples(setting, budget: budget, seed: seed, model: model)
            m.nfe = result.nfe
            for (i, v) in try metrics(result.samples, references[seed]!).enumerated() { m.values[i].append(v) }
        }
        return m
    }

    /// A second reference draw (data seed 20 000 + seed) against the first.
    func referenceFloor(seeds: [UInt64]) throws -> TrainedExperiment.Measurement {
        var m = TrainedExperiment.Measurement(values: Array(repeating: [], count: TrainedExperiment.metricNames.count), nfe: 0)
        for seed in seeds {
            let reference = references[seed]!
            let other = try Dataset.builtIn(name: reference.name, count: count, seed: 20_000 + seed)
            for (i, v) in try metrics(other.samples, reference).enumerated() { m.values[i].append(v) }
        }
        return m
    }

    /// precision, recall, Fréchet, class Fréchet, sliced W2, spread ratio. Non-finite samples
    /// (a diverged run) give NaN metrics rather than an error.
    func metrics(_ generated: Matrix, _ reference: Dataset) throws -> [Double] {
        guard generated.scalars.allSatisfy(\.isFinite) else { return [.nan, .nan, .nan, .nan, .nan, .nan] }
        let pr = try Metrics.precisionRecall(real: reference.samples, generated: generated, k: 3)
        return [
            pr.precision, pr.recall,
            try Metrics.frechetDistance(generated, reference.samples),
            try Self.classFrechet(generated, reference),
            try Metrics.slicedWasserstein(generated, reference.samples, projections: 128, seed: 0),
            Self.spreadRatio(generated, reference),
        ]
    }

    /// The mean over classes of the Fréchet distance between the samples and the reference rows
    /// of that class (both sets have labels k mod C).
    static func classFrechet(_ generated: Matrix, _ reference: Dataset) throws -> Double {
        var total = 0.0
        for c in 0..<reference.classCount {
            let rows = reference.labels.indices.filter { reference.labels[$0] == c }
            func pick(_ x: Matrix) throws -> Matrix {
                try Matrix(rows: rows.count, columns: x.columns, scalars: rows.flatMap { x.row($0) })
            }
            total += try Metrics.frechetDistance(try pick(generated), try pick(reference.samples))
        }
        return total / Double(reference.classCount)
    }

    /// The within-class spread of the samples over that of the reference:
    /// sqrt(Σ_c Σ_{i in c} ‖x_i − mean_c‖² / same for the reference), classes from the labels
    /// (both sets have labels k mod C). Below 1: samples huddle closer to their class mean than
    /// the data (over-concentrated); above 1: more diffuse.
    static func spreadRatio(_ generated: Matrix, _ reference: Dataset) -> Double {
        func spread(_ x: Matrix) -> Double {
            let d = x.columns, c = reference.classCount
            var sums = [Double](repeating: 0, count: c * d), counts = [Double](repeating: 0, count: c)
            for i in 0..<x.rows {
                let k = reference.labels[i]
                counts[k] += 1
                for j in 0..<d { sums[k * d + j] += Double(x[i, j]) }
            }
            var total = 0.0
            for i in 0..<x.rows {
                let k = reference.labels[i]
                for j in 0..<d {
                    let e = Double(x[i, j]) - sums[k * d + j] / counts[k]
                    total += e * e
                }
            }
            return total
        }
        return (spread(generated) / spread(reference.samples)).squareRoot()
    }
}
