import FlowGuide
import Foundation

/// The plots of `flowguide experiment --suite trained`: metric vs steps per method, the
/// precision–recall frontier, and 2-D scatter plots.
extension TrainedExperiment {
    /// The methods followed across step budgets (tuned settings vary with the budget).
    struct Family {
        let name: String
        let dashed: Bool
        let setting: (Int) -> ExperimentSetting
    }

    static func families(_ r: ModelResult) -> [Family] {
        let w = headlineScale
        return [
            Family(name: "Euler", dashed: false) { _ in .euler },
            Family(name: "Heun (equal NFE)", dashed: false) { _ in .heun },
            Family(name: "MG (tuned)", dashed: true) { r.mg[$0]! },
            Family(name: "MG σ-window (tuned)", dashed: true) { r.mgWindowed[$0]! },
            Family(name: "CFG w \(ExperimentSetting.short(w))", dashed: false) { _ in .cfg(w) },
            Family(name: "CFG w \(ExperimentSetting.short(w)) + MG (tuned)", dashed: true) {
                .cfgMG(w, r.cfgMG[$0]!.alpha, r.cfgMG[$0]!.beta)
            },
            Family(name: "APG w \(ExperimentSetting.short(w))", dashed: false) { _ in .apg(w) },
        ]
    }

    func linePlots(_ r: ModelResult) throws -> [(String, String)] {
        var out: [(String, String)] = []
        let metrics = [(Self.frechet, "frechet"), (Self.classFrechet, "class-frechet"), (Self.sliced, "sliced-w2"), (Self.precision, "precision"),
                       (Self.recall, "recall"), (Self.spread, "spread")]
        for (metric, slug) in metrics {
            let name = Self.metricNames[metric]
            let all = Self.families(r).flatMap { f in budgets.compactMap { r.test[f.setting($0)]?[$0]?.mean(metric) } }
            let logY = [Self.frechet, Self.classFrechet, Self.sliced].contains(metric) && all.allSatisfy { $0 > 0 && $0.isFinite }
            var plot = LinePlot(title: "\(r.name): \(name) vs steps (test seeds)", xLabel: "steps (Euler budget)",
                                yLabel: name, xScale: .log2, yScale: logY ? .log10 : .linear, width: 720, height: 420)
            for f in Self.families(r) {
                var xs: [Double] = [], ys: [Double] = [], spreads: [Double] = []
                for budget in budgets {
                    guard let m = r.test[f.setting(budget)]?[budget], m.mean(metric).isFinite else { continue }
                    xs.append(Double(budget))
                    ys.append(m.mean(metric))
                    spreads.append(Self.standardDeviation(m.values[metric]))
                }
                guard !xs.isEmpty, !logY || ys.allSatisfy({ $0 > 0 }) else { continue }
                try plot.add(f.name, x: xs, y: ys, spread: spreads, dashed: f.dashed)
            }
            let floor = r.floor.mean(metric)
            if floor.isFinite, !logY || floor > 0 {
                try plot.add("data (2nd draw)", x: budgets.map(Double.init), y: budgets.map { _ in floor }, dashed: true)
            }
            let file = "experiments-\(r.name)-\(slug).svg"
            try plot.write(to: plotDirectory.appendingPathComponent(file))
            out.append(("\(name) vs steps", file))
        }
        out.append(("precision–recall frontier at \(r.frontierBudget) steps", try frontierPlot(r)))
        return out
    }

    /// Precision (y) vs recall (x) at the frontier budget as w and α vary.
    private func frontierPlot(_ r: ModelResult) throws -> String {
        let b = r.frontierBudget
        let (a, beta) = r.cfgMG[b]!
        let w2 = Self.headlineScale
        var plot = LinePlot(title: "\(r.name): precision–recall at \(b) steps (test seeds)", xLabel: "recall",
                            yLabel: "precision", width: 720, height: 460)
        func series(_ name: String, _ points: [(ExperimentSetting, String)], dashed: Bool) throws {
            var p: [LinePlot.Point] = []
            for (setting, label) in points {
                guard let m = r.test[setting]?[b], m.mean(Self.precision).isFinite, m.mean(Self.recall).isFinite else { continue }
                p.append(LinePlot.Point(x: m.mean(Self.recall), y: m.mean(Self.precision), label: label))
            }
            if !p.isEmpty { try plot.add(name, points: p, dashed: dashed) }
        }
        let ws: [Float] = [1] + Self.cfgScales
        try series("CFG, w = 1…\(ExperimentSetting.short(ws.last!))",
                   ws.map { ($0 == 1 ? .euler : .cfg($0), "w \(ExperimentSetting.short($0))") }, dashed: false)
        try series("CFG + MG (α \(ExperimentSetting.short(a)), β \(ExperimentSetting.short(beta))), w = 1…\(ExperimentSetting.short(ws.last!))",
                   ws.map { (.cfgMG($0, a, beta), "w \(ExperimentSetting.short($0))") }, dashed: true)
        let mgBeta = r.mg[b]!.beta
        try series("MG (β \(ExperimentSetting.short(mgBeta))), α = 0…\(ExperimentSetting.short(Self.alphas.last!))",
                   [(.euler, "α 0")] + Self.alphas.map { (.mg($0, mgBeta), "α \(ExperimentSetting.short($0))") }, dashed: false)
        try series("CFG w \(ExperimentSetting.short(w2)) + MG (β \(ExperimentSetting.short(beta))), α = 0…\(ExperimentSetting.short(Self.alphas.last!))",
                   [(.cfg(w2), "α 0")] + Self.alphas.map { (.cfgMG(w2, $0, beta), "α \(ExperimentSetting.short($0))") }, dashed: true)
        try series("APG, w = " + Self.apgScales.map(ExperimentSetting.short).joined(separator: ", "),
                   Self.apgScales.map { (.apg($0), "w \(ExperimentSetting.short($0))") }, dashed: false)
        let floor = r.floor
        try plot.add("data (2nd draw)", points: [LinePlot.Point(x: floor.mean(Self.recall), y: floor.mean(Self.precision))])
        let file = "experiments-\(r.name)-frontier.svg"
        try plot.write(to: plotDirectory.appendingPathComponent(file))
        return file
    }

    /// Samples of each method at the fewest steps (first test seed, first 600) over the reference.
    func scatterPlots(_ r: ModelResult, runner: ModelRunner) throws -> [(String, String)] {
        let budget = budgets.min()!, seed = testSeeds[0]
        let reference = runner.references[seed]!
        let n = min(600, runner.count)
        func head(_ m: Matrix) throws -> Matrix {
            try Matrix(rows: n, columns: m.columns, scalars: Array(m.scalars[0..<n * m.columns]))
        }
        var out: [(String, String)] = []
        for f in Self.families(r) {
            let setting = f.setting(budget)
            let samples = try runner.samples(setting, budget: budget, seed: seed, model: runner.model).samples
            var plot = ScatterPlot(title: "\(r.name): \(setting.name), \(budget) steps", width: 420, height: 420)
            try plot.add(try head(reference.samples), name: "held-out data", markerRadius: 1.2)
            try plot.add(try head(samples), labels: Array(reference.labels[0..<n]), name: "samples", markerRadius: 1.5)
            let slug = f.name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? String($0) : "-" }.joined()
                .split(separator: "-").joined(separator: "-")
            let file = "experiments-\(r.name)-\(slug)-\(budget)steps.svg"
            try plot.write(to: plotDirectory.appendingPathComponent(file))
            out.append((setting.name, file))
        }
        return out
    }

    static func standardDeviation(_ v: [Double]) -> Double {
        guard v.count > 1 else { return 0 }
        let m = mean(v)
        return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
    }
}
