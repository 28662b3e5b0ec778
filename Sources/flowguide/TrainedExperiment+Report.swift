import FlowGuide
import Foundation

/// The Markdown report of `flowguide experiment --suite trained` (docs/experiments.md). Every
/// number and every finding is computed from the measurements, so the report never goes stale;
/// only the first line (command, time, threads) differs between reruns with the same options.
extension TrainedExperiment {
    func markdown(_ results: [ModelResult], command: String, seconds: Double) -> String {
        let seeds = { (s: [UInt64]) in s.map(String.init).joined(separator: ", ") }
        var out = """
            # Momentum Guidance on trained models

            Made by `\(command)` in \(String(format: "%.0f", seconds)) s (\(KernelRuntime.threadCount) threads). \
            Do not edit: rerun the command.

            This reproduces, at small scale and on models FlowGuide trains itself, the evidence of the \
            Momentum Guidance paper (Liao et al., 2026): on ImageNet-256 with Euler sampling it reports an \
            average FID improvement of 36.7% without CFG and 25.5% with CFG across step counts, and a better \
            precision–recall frontier than CFG alone, at no extra model evaluation.

            ## Setup

            - **Models** (committed, made by `models/train.sh`): \
            \(results.map { "`models/\($0.file)` (\($0.dimension)-D, \($0.classCount) classes, \($0.parameterCount) parameters, trained on \($0.trainingData))" }.joined(separator: "; ")).
            - **Reference data**: for sampling seed s, \(count) fresh rows of the model's dataset drawn with \
            data seed 10 000 + s; the models trained on data seed 0, so they never saw these rows. Sample k has \
            class k mod C, like reference row k. The "data (2nd draw)" row compares a second fresh draw \
            (data seed 20 000 + s) with the first: the best any sampler can score at this sample size.
            - **Seeds**: α, β are tuned on the tuning seeds \(seeds(tuningSeeds)); every table and plot below \
            is measured on the disjoint test seeds \(seeds(testSeeds)) (cells: mean ± standard deviation over \
            the test seeds). The grid tables at the end are the tuning seeds' numbers.
            - **Step budgets** \(budgets.map(String.init).joined(separator: ", ")): the number of Euler steps \
            (uniform σ grid). NFE is counted as in [sampling.md](sampling.md#nfe): model rows evaluated per \
            sample, 1 per unguided evaluation, 2 per CFG/APG evaluation (conditional + unconditional). MG adds \
            no evaluation. Heun takes budget/2 steps (2 evaluations per step, 1 on the last), so its NFE is \
            budget − 1: equal NFE to Euler, never more.
            - **Settings**: Euler; Heun; MG with α ∈ {\(Self.alphas.map(ExperimentSetting.short).joined(separator: ", "))} \
            × β ∈ {\(Self.betas.map(ExperimentSetting.short).joined(separator: ", "))}, without and with a σ window \
            (MG extrapolates only on steps starting at σ ≥ \(ExperimentSetting.short(ExperimentSetting.window.lowerBound))); \
            CFG w ∈ {\(Self.cfgScales.map(ExperimentSetting.short).joined(separator: ", "))}; CFG + MG at each w with \
            the (α, β) tuned for CFG w = \(ExperimentSetting.short(Self.headlineScale)) + MG; APG (η 0) at w ∈ \
            {\(Self.apgScales.map(ExperimentSetting.short).joined(separator: ", "))}. Tuning picks, per model and step \
            budget, the grid point with the lowest mean class Fréchet distance on the tuning seeds (separately for MG, \
            windowed MG and CFG + MG); "tuned" below means that choice.
            - **Metrics** (FlowGuide's `Metrics`): **precision / recall** (improved k-NN, Kynkäänniemi et al. \
            2019, k = 3); **Fréchet**: Fréchet distance of Gaussians fitted to samples and data (FID without a \
            feature network), as in the paper; **class Fréchet**: the mean over classes of the Fréchet distance \
            between the samples and the data of one class, the metric of the tuning and of the findings (a single \
            Gaussian fitted to all samples of a multi-modal 2-D set hardly sees how tight each cluster is, which \
            is what few-step sampling and MG change; per class it does); **sliced W2**: sliced Wasserstein-2 (128 directions); **spread**: within-class \
            spread of the samples over that of the data (√ of the ratio of summed squared distances to the \
            class means): 1 is right, below 1 the samples huddle toward their class means (over-smoothed), \
            above 1 they are too diffuse.


            """
        out += headline(results)
        for r in results { out += section(r) }
        out += analysis(results)
        return out
    }

    // MARK: - Values

    func value(_ r: ModelResult, _ s: ExperimentSetting, _ budget: Int, _ metric: Int) -> Double {
        r.test[s]?[budget]?.mean(metric) ?? .nan
    }

    func mgSetting(_ r: ModelResult, _ budget: Int) -> ExperimentSetting { r.mg[budget]! }
    func cfgMGSetting(_ r: ModelResult, _ w: Float, _ budget: Int) -> ExperimentSetting {
        .cfgMG(w, r.cfgMG[budget]!.alpha, r.cfgMG[budget]!.beta)
    }

    /// Relative Fréchet improvement of `new` over `base` at one budget, in percent (positive: better).
    func improvement(_ r: ModelResult, _ new: ExperimentSetting, _ base: ExperimentSetting, _ budget: Int,
                     metric: Int = TrainedExperiment.primary) -> Double {
        let (n, b) = (value(r, new, budget, metric), value(r, base, budget, metric))
        return 100 * (b - n) / b
    }

    /// The paper's number: the mean over the step budgets of the relative improvement.
    func averageImprovement(_ r: ModelResult, _ new: (Int) -> ExperimentSetting, _ base: (Int) -> ExperimentSetting,
                            metric: Int = TrainedExperiment.primary) -> Double {
        Self.mean(budgets.map { improvement(r, new($0), base($0), $0, metric: metric) })
    }

    static func percent(_ v: Double) -> String {
        guard v.isFinite else { return "—" }
        return (v >= 0 ? "+" : "−") + String(format: "%.1f%%", abs(v))
    }

    // MARK: - Sections

    private func headline(_ results: [ModelResult]) -> String {
        let w = ExperimentSetting.short(Self.headlineScale)
        var out = """
            ## The paper's two headline numbers

            Average relative improvement over the step budgets \(budgets.map(String.init).joined(separator: ", ")) \
            (mean of (FD_base − FD_new)/FD_base; positive = better), computed like the paper's FID numbers, \
            for the Fréchet distance of all samples (like FID) and for the class Fréchet distance (the tuning \
            metric). The paper's are FID on ImageNet-256 (large models, Euler); ours are on the raw samples of \
            small trained MLPs, with (α, β) tuned per step budget on separate seeds. CFG is at w = \(w).

            | comparison | paper (ImageNet-256) | \(results.map(\.name).joined(separator: " | ")) |
            |:---|---:|\(String(repeating: "---:|", count: results.count))
            | MG vs no guidance (Euler), Fréchet | +36.7% | \(results.map { r in Self.percent(averageImprovement(r, { self.mgSetting(r, $0) }, { _ in .euler }, metric: Self.frechet)) }.joined(separator: " | ")) |
            | MG vs no guidance (Euler), class Fréchet | +36.7% | \(results.map { r in Self.percent(averageImprovement(r, { self.mgSetting(r, $0) }, { _ in .euler }, metric: Self.classFrechet)) }.joined(separator: " | ")) |
            | CFG + MG vs CFG (w \(w)), Fréchet | +25.5% | \(results.map { r in Self.percent(averageImprovement(r, { self.cfgMGSetting(r, Self.headlineScale, $0) }, { _ in .cfg(Self.headlineScale) }, metric: Self.frechet)) }.joined(separator: " | ")) |
            | CFG + MG vs CFG (w \(w)), class Fréchet | +25.5% | \(results.map { r in Self.percent(averageImprovement(r, { self.cfgMGSetting(r, Self.headlineScale, $0) }, { _ in .cfg(Self.headlineScale) }, metric: Self.classFrechet)) }.joined(separator: " | ")) |
            | MG with σ window vs no guidance, class Fréchet | — | \(results.map { r in Self.percent(averageImprovement(r, { r.mgWindowed[$0]! }, { _ in .euler }, metric: Self.primary)) }.joined(separator: " | ")) |
            | Heun (equal NFE) vs Euler, class Fréchet | — | \(results.map { r in Self.percent(averageImprovement(r, { _ in .heun }, { _ in .euler }, metric: Self.primary)) }.joined(separator: " | ")) |

            Per step budget (relative class Fréchet improvement, test seeds):

            | model | comparison | \(budgets.map { "\($0) steps" }.joined(separator: " | ")) |
            |:---|:---|\(String(repeating: "---:|", count: budgets.count))

            """
        for r in results {
            out += "| \(r.name) | MG vs Euler | " + budgets.map { Self.percent(improvement(r, mgSetting(r, $0), .euler, $0, metric: Self.primary)) }
                .joined(separator: " | ") + " |\n"
            for cw in Self.cfgScales {
                out += "| \(r.name) | CFG + MG vs CFG, w \(ExperimentSetting.short(cw)) | " + budgets.map {
                    Self.percent(improvement(r, cfgMGSetting(r, cw, $0), .cfg(cw), $0, metric: Self.primary))
                }.joined(separator: " | ") + " |\n"
            }
        }
        return out + "\n"
    }

    private func section(_ r: ModelResult) -> String {
        let relative = relativePlotPath()
        var out = "## \(r.name) (\(r.dimension)-D, `models/\(r.file)`)\n\n"
        out += "Tuned on the tuning seeds (lowest mean class Fréchet distance over the grid):\n\n"
        out += "| steps | MG | MG σ-window | CFG w \(ExperimentSetting.short(Self.headlineScale)) + MG |\n|---:|:---|:---|:---|\n"
        for b in budgets {
            out += "| \(b) | \(r.mg[b]!.parameters) | \(r.mgWindowed[b]!.parameters) | α \(ExperimentSetting.short(r.cfgMG[b]!.alpha)), β \(ExperimentSetting.short(r.cfgMG[b]!.beta)) |\n"
        }
        out += "\nTest seeds, one row per setting and step budget:\n\n"
        out += "| method | steps | NFE | " + Self.metricNames.joined(separator: " | ") + " |\n"
        out += "|:---|---:|---:|" + String(repeating: "---:|", count: Self.metricNames.count) + "\n"
        out += "| data (2nd draw) | — | — | " + r.floor.values.map(Self.cell).joined(separator: " | ") + " |\n"
        for b in budgets where r.exact[b] != nil {
            let m = r.exact[b]!
            out += "| Euler, exact mixture velocity | \(b) | \(m.nfe) | " + m.values.map(Self.cell).joined(separator: " | ") + " |\n"
        }
        let settings = r.test.keys.sorted()
        for s in settings {
            for b in budgets {
                guard let m = r.test[s]?[b] else { continue }
                out += "| \(s.name) | \(b) | \(m.nfe) | " + m.values.map(Self.cell).joined(separator: " | ") + " |\n"
            }
        }
        out += "\nClass Fréchet distance at a glance (test seeds):\n\n| method | "
            + budgets.map { "\($0)" }.joined(separator: " | ") + " |\n|:---|" + String(repeating: "---:|", count: budgets.count) + "\n"
        for f in Self.families(r) {
            out += "| \(f.name) | " + budgets.map { Self.number(value(r, f.setting($0), $0, Self.primary)) }.joined(separator: " | ") + " |\n"
        }
        out += "\n"
        for (caption, file) in r.linePlots {
            out += "![\(r.name): \(caption)](\(relative)/\(file))\n"
        }
        out += "\n" + frontierTable(r)
        out += oversmoothing(r)
        if !r.scatterPlots.isEmpty {
            out += "Samples at \(budgets.min()!) steps (test seed \(testSeeds[0]), first 600; held-out data in grey):\n\n"
            for (method, file) in r.scatterPlots { out += "![\(r.name), \(method)](\(relative)/\(file)) " }
            out += "\n\n"
        }
        out += findings(r)
        out += tuningTable(r)
        return out
    }

    private func frontierTable(_ r: ModelResult) -> String {
        let b = r.frontierBudget
        var out = "Precision–recall frontier at \(b) steps (test seeds; the plot above): as w grows CFG trades recall "
            + "for precision; the question is whether CFG + MG reaches points CFG alone does not.\n\n"
        out += "| setting | NFE | precision | recall | Fréchet | class Fréchet |\n|:---|---:|---:|---:|---:|---:|\n"
        let rows = r.test.keys.filter { r.test[$0]?[b] != nil && $0.method != .heun }.sorted()
        for s in rows {
            let m = r.test[s]![b]!
            out += "| \(s.name) | \(m.nfe) | \(Self.cell(m.values[Self.precision])) | \(Self.cell(m.values[Self.recall])) | \(Self.cell(m.values[Self.frechet])) | \(Self.cell(m.values[Self.classFrechet])) |\n"
        }
        let ws: [Float] = [1] + Self.cfgScales
        let (mgBeyond, cfgBeyond, _) = frontierCounts(r)
        let verb = { (n: Int) in n == 1 ? "1 is" : "\(n) are" }
        out += "\nOf the \(ws.count) CFG + MG points (w = 1…\(ExperimentSetting.short(ws.last!))), \(verb(mgBeyond)) not dominated "
            + "(higher or equal precision and recall, one of them higher) by any CFG point; of the \(ws.count) CFG points, "
            + "\(verb(cfgBeyond)) not dominated by any CFG + MG point.\n\n"
        return out
    }

    /// Frontier dominance at the frontier budget, over w = 1 and the CFG scales: how many CFG + MG
    /// points no CFG point dominates (precision and recall ≥, one >), how many CFG points no
    /// CFG + MG point dominates, and the number of points per curve.
    func frontierCounts(_ r: ModelResult) -> (mgBeyond: Int, cfgBeyond: Int, total: Int) {
        let b = r.frontierBudget
        let ws: [Float] = [1] + Self.cfgScales
        let cfgPoints = ws.map { w -> (Double, Double) in
            let s: ExperimentSetting = w == 1 ? .euler : .cfg(w)
            return (value(r, s, b, Self.precision), value(r, s, b, Self.recall))
        }
        let mgPoints = ws.map { w in (value(r, cfgMGSetting(r, w, b), b, Self.precision), value(r, cfgMGSetting(r, w, b), b, Self.recall)) }
        func dominated(_ p: (Double, Double), by set: [(Double, Double)]) -> Bool {
            set.contains { $0.0 >= p.0 && $0.1 >= p.1 && ($0.0 > p.0 || $0.1 > p.1) }
        }
        return (mgPoints.filter { !dominated($0, by: cfgPoints) }.count,
                cfgPoints.filter { !dominated($0, by: mgPoints) }.count, ws.count)
    }

    private func oversmoothing(_ r: ModelResult) -> String {
        var out = "Is the model over-smoothed? Within-class spread (1 = the data's) by steps, test seeds:\n\n"
        out += "| sampler | " + budgets.map { "\($0)" }.joined(separator: " | ") + " |\n|:---|" + String(repeating: "---:|", count: budgets.count) + "\n"
        out += "| Euler, trained model | " + budgets.map { Self.number(value(r, .euler, $0, Self.spread)) }.joined(separator: " | ") + " |\n"
        if !r.exact.isEmpty {
            out += "| Euler, exact mixture velocity | " + budgets.map { Self.number(r.exact[$0]?.mean(Self.spread) ?? .nan) }.joined(separator: " | ") + " |\n"
        }
        out += "| Heun, trained model | " + budgets.map { Self.number(value(r, .heun, $0, Self.spread)) }.joined(separator: " | ") + " |\n"
        out += "| MG (tuned), trained model | " + budgets.map { Self.number(value(r, mgSetting(r, $0), $0, Self.spread)) }.joined(separator: " | ") + " |\n"
        out += "| CFG w \(ExperimentSetting.short(Self.headlineScale)) | " + budgets.map { Self.number(value(r, .cfg(Self.headlineScale), $0, Self.spread)) }.joined(separator: " | ") + " |\n"
        out += "| CFG w \(ExperimentSetting.short(Self.headlineScale)) + MG (tuned) | " + budgets.map { Self.number(value(r, cfgMGSetting(r, Self.headlineScale, $0), $0, Self.spread)) }.joined(separator: " | ") + " |\n"
        return out + "\n"
    }

    private func tuningTable(_ r: ModelResult) -> String {
        var out = "<details><summary>Tuning grid (\(r.name), mean class Fréchet distance on the tuning seeds "
            + "\(tuningSeeds.map(String.init).joined(separator: ", ")))</summary>\n\n"
        out += "| setting | " + budgets.map { "\($0)" }.joined(separator: " | ") + " |\n|:---|" + String(repeating: "---:|", count: budgets.count) + "\n"
        for s in r.tuning.keys.sorted() {
            out += "| \(s.name) | " + budgets.map { b in
                let v = Self.number(r.tuning[s]?[b] ?? .nan)
                let chosen = r.mg[b] == s || r.mgWindowed[b] == s || (s.method == .cfgMG && r.cfgMG[b]! == (s.alpha, s.beta))
                return chosen ? "**\(v)**" : v
            }.joined(separator: " | ") + " |\n"
        }
        return out + "\nBold: the tuned choice per step budget.\n\n</details>\n\n"
    }

    private func relativePlotPath() -> String {
        let report = reportDirectory.standardizedFileURL.path
        let plots = plotDirectory.standardizedFileURL.path
        if plots.hasPrefix(report + "/") { return String(plots.dropFirst(report.count + 1)) }
        return plots
    }

    static func cell(_ v: [Double]) -> String {
        let m = mean(v)
        guard v.count > 1, m.isFinite else { return number(m) }
        return number(m) + " ± " + String(format: "%.2g", standardDeviation(v))
    }

    /// Three significant digits, without exponent notation for values from 0.001 up; "—" for NaN.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "—" }
        if v == 0 || abs(v) >= 0.001 && abs(v) < 1e6 {
            let digits = max(0, 2 - Int(floor(log10(max(abs(v), 1e-300)))))
            return String(format: "%.\(min(digits, 5))f", v)
        }
        return String(format: "%.2e", v)
    }
}
