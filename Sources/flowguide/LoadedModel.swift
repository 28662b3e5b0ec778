import FlowGuide
import Foundation

/// A model the CLI can sample: an analytic mixture (built-in or JSON) or a trained MLP
/// (`.safetensors` written by `flowguide train`).
enum LoadedModel {
    case mixture(GaussianMixtureModel)
    /// The model and its file's `__metadata__` (`flowguide train` records the dataset there).
    case mlp(MLPVelocityModel, metadata: [String: String])

    var dimension: Int {
        switch self {
        case .mixture(let m): m.dimension
        case .mlp(let m, _): m.dimension
        }
    }

    var classCount: Int {
        switch self {
        case .mixture(let m): m.classCount
        case .mlp(let m, _): m.classCount
        }
    }

    /// The velocity model, for ``Sampler`` (opened generically by the caller).
    var velocityModel: any VelocityModel {
        switch self {
        case .mixture(let m): m
        case .mlp(let m, _): m
        }
    }

    /// Reference samples with the given labels for plots: the mixture's exact samples, or for an
    /// MLP trained on a built-in dataset, that dataset's samples of the same classes; nil if unknown.
    func referenceSamples(labels: [Int], seed: UInt64, firstIndex: Int) throws -> Matrix? {
        switch self {
        case .mixture(let m):
            return try m.sample(count: labels.count, labels: labels, seed: seed, firstIndex: firstIndex)
        case .mlp(_, let metadata):
            guard let name = metadata["dataset"], Dataset.builtInNames.contains(name) else { return nil }
            // The dataset's class of row i is i mod C: take rows of the wanted classes in order.
            let data = try Dataset.builtIn(name: name, count: max(4 * labels.count, 1000), seed: seed)
            var rows: [Float] = []
            var next = [Int: Int]()  // class -> next row index to use
            for label in labels where label >= 0 {
                var i = next[label] ?? label
                while i < data.count && data.labels[i] != label { i += 1 }
                guard i < data.count else { continue }
                rows += data.samples.row(i)
                next[label] = i + data.classCount
            }
            return try Matrix(rows: rows.count / data.dimension, columns: data.dimension, scalars: rows)
        }
    }
}
