import FlowGuide
import Foundation

/// The Markdown report and the loss plots of `flowguide compare-optimizers` (docs/optimizers.md).
/// Every statement about the two claims is computed from the tables' numbers.
struct OptimizerReport {
    typealias Run = OptimizerExperiment.Run
    let settings: OptimizerExperiment.Settings
    let results: [OptimizerExperiment.DatasetResult]
    let plotDirectory: URL
    let reportDirectory: URL

    private var names: [String] { settings.variants.map(\.name) }

    // MARK: - Plots

    static func plotFile(_ dataset: String, _ axis: String) -> String { "optimizers-\(dataset)-\(axis).svg" }

    /// Per dataset: held-out loss against steps (same-steps runs) and against training time
    /// (same-time runs); mean over seeds with ± 1 std error bars; +CWD variants dashed.
    func writePlots() throws {
        try FileManager.default.createDirectory(at: plotDirectory, withIntermediateDirectories: true)
        for result in results {
            var bySteps = LinePlot(title: "\(result.name): held-out loss, same steps", xLabel: "training step",
                                   yLabel: "held-out loss", yScale: .log10, width: 720, height: 420)
            var byTime = LinePlot(title: "\(result.name): held-out loss, same budget (\(Self.seconds(result.budget)))",
                                  xLabel: "training time (s)", yLabel: "held-out loss", yScale: .log10, width: 720, height: 420)
            for v in settings.variants {
                let dashed = v.plainName != nil
                try bySteps.add(v.name, points: Self.meanCurve(result.sameSteps[v.name]!, x: { Double($0.step) }),
                                dashed: dashed)
                try byTime.add(v.name, points: Self.meanCurve(result.sameTime[v.name]!, x: \.seconds), dashed: dashed)
            }
            try bySteps.write(to: plotDirectory.appendingPathComponent(Self.plotFile(result.name, "steps")))
            try byTime.write(to: plotDirectory.appendingPathComponent(Self.plotFile(result.name, "time")))
        }
    }

    /// The checkpoints averaged over seeds (x and held-out loss); the last point carries the
    /// std of the loss over seeds as its error bar (bars on every point would hide the lines).
    static func meanCurve(_ runs: [Run], x: (OptimizerExperiment.Checkpoint) -> Double) -> [LinePlot.Point] {
        let count = runs.map(\.curve.count).min() ?? 0
        return (0..<count).map { k in
            let losses = runs.map { $0.curve[k].heldOutLoss }
            return LinePlot.Point(x: mean(runs.map { x($0.curve[k]) }), y: mean(losses),
                                  spread: k == count - 1 ? std(losses) : 0)
        }
    }

    // MARK: - Markdown

    func markdown(command: String, seconds: Double) -> String {
        let s = settings
        let variantList = s.variants.map { v in
            v.name == OptimizerExperiment.adamQLRName
                ? "\(v.name) (its own step size from a damped quadratic model, no learning rate; cautious decay λ \(Self.trim(v.weightDecay)), "
                    + "all its defaults)"
                : "\(v.name) (lr \(Self.lr(v.learningRate)), λ \(Self.trim(v.weightDecay)))"
        }
        var out = """
            # Optimizers compared: same steps and same wall-clock time

            Made by `\(command)` in \(String(format: "%.0f", seconds)) s (\(String(format: "%.1f", seconds / 60)) min, \
            \(KernelRuntime.threadCount) threads). Do not edit: rerun the command.

            **Setup.** Each dataset (`flowguide data` built-ins, \(s.dataCount) rows, data seed 0) is split \
            into training and held-out rows (\(Int((s.heldOutFraction * 100).rounded())) % held out, stratified, \
            seed 0). The model is the MLP velocity field of [training.md](training.md), width \(s.width), \
            depth \(s.depth), initialised from seed s; training uses batch \(s.batchSize), logit-normal σ, \
            label dropout 0.1, warm-up over the first 5 % of the schedule and a cosine to 0.1·lr, with the \
            batches of seed s. Seeds s = 0…\(s.seeds - 1) for every optimizer, so the runs of one seed share \
            their initial weights and batches. The optimizers, each at its documented default learning rate \
            and weight decay λ (nothing tuned per dataset): \(variantList.joined(separator: ", ")). \
            "+CWD" is cautious weight decay (decay only where the update has the sign of the weight, \
            [training.md](training.md)); the plain variants use ordinary decoupled decay with the same λ.

            **Two comparisons.** (a) **Same steps**: \(s.trainSteps) steps for every optimizer. These runs are \
            deterministic: rerunning gives the same numbers bit for bit (except the times). (b) **Same \
            wall-clock budget**: training stops when its training time reaches the budget\(s.budget.map { " (here fixed at \(Self.seconds($0)))" } ?? ", plain AdamW's training time in its (a) run of the same dataset and seed"); \
            each optimizer's schedule has the length it reached in that time in its (a) run of the seed, so \
            its cosine ends about when the budget does. For each seed the (a) runs of all optimizers come \
            first, then their (b) runs, and within each the optimizers take turns chunk by chunk (one \
            chunk = the training up to the next loss checkpoint), so a burst of load from other jobs on \
            the machine slows all of them alike. Where a run stops depends on the machine's speed and load at \
            that moment, so (b) is **not** bit-reproducible; slower optimizers (more work per step) make \
            fewer steps.

            **Measurements**, outside the timed training: the *final training loss* is the mean batch loss \
            over the last 10 % of steps; the *held-out loss* is the flow-matching loss on all held-out rows \
            with fixed σ and noise draws (row i: σ = sigmoid(n) with n, ε from `NoiseGenerator` seed 0x4F50, \
            the true label), the same inputs for every run; *precision / recall* (k-NN, k = 3) and \
            *Fréchet* distance compare as many samples as held-out rows (Euler, \(s.sampleSteps) steps, CFG \
            w = \(Self.trim(s.cfg)), the held-out labels, noise seed 1000 + s) with the held-out rows. \
            Cells are mean ± standard deviation over the \(s.seeds) seed\(s.seeds == 1 ? "" : "s"); time is \
            training time only, summed over the run, on a machine that was shared with other jobs.


            """
        out += claims()
        out += overview()
        for result in results { out += section(result) }
        return out
    }

    /// Held-out loss relative to plain AdamW, per dataset and comparison.
    private func overview() -> String {
        guard let base = names.first else { return "" }
        var out = "## Overview: held-out loss relative to \(base)\n\n"
        out += "Mean held-out loss of each optimizer divided by \(base)'s on the same dataset (below 1: better).\n\n"
        out += "| optimizer | " + results.map { "\($0.name) (a)" + " | " + "\($0.name) (b)" }.joined(separator: " | ") + " |\n"
        out += "|:---|" + String(repeating: "---:|", count: 2 * results.count) + "\n"
        for name in names {
            let cells = results.flatMap { r in
                [r.sameSteps, r.sameTime].map { runs in
                    String(format: "%.3f", mean(runs[name]!.map(\.heldOutLoss)) / mean(runs[base]!.map(\.heldOutLoss)))
                }
            }
            out += "| \(name) | " + cells.joined(separator: " | ") + " |\n"
        }
        return out + "\n"
    }

    private func section(_ r: OptimizerExperiment.DatasetResult) -> String {
        var out = "## \(r.name) (\(r.dimension)-D)\n\n"
        out += "\(r.trainCount) training rows, \(r.heldOutCount) held-out rows, \(r.parameters) parameters.\n\n"
        out += "**(a) Same steps** (\(settings.trainSteps)):\n\n" + table(r.sameSteps)
        out += "**(b) Same wall-clock budget** (\(Self.seconds(r.budget)) of training per run on average over the seeds; "
            + "\"steps\" is the steps made, \"schedule\" the schedule length):\n\n" + table(r.sameTime, schedule: true)
        out += divergedNote(r)
        let relative = relativePlotPath()
        out += "Held-out loss at \(settings.checkpoints) evenly spaced points, mean over the seeds (error bar at the "
            + "end: ± 1 std over the seeds; +CWD dashed), against steps in (a) and against training time in (b):\n\n"
        out += "![\(r.name): held-out loss against steps](\(relative)/\(Self.plotFile(r.name, "steps"))) "
        out += "![\(r.name): held-out loss against training time](\(relative)/\(Self.plotFile(r.name, "time")))\n\n"
        return out
    }

    /// Runs whose CFG samples blew up (Fréchet distance above 1000 or not finite), which dominate
    /// the mean of their cell: named, so the table is read correctly.
    private func divergedNote(_ r: OptimizerExperiment.DatasetResult) -> String {
        var cases: [String] = []
        for (label, runs) in [("same steps", r.sameSteps), ("same time", r.sameTime)] {
            for name in names {
                for (seed, run) in runs[name]!.enumerated() where run.samplesDiverged {
                    cases.append("\(name), seed \(seed), \(label): "
                        + (run.nonFiniteSamples > 0
                           ? "\(run.nonFiniteSamples) sample\(run.nonFiniteSamples == 1 ? "" : "s") not finite"
                                                    : "Fréchet " + String(format: "%.2g", run.frechet)))
                }
            }
        }
        guard !cases.isEmpty else { return "" }
        return "**Samples that blew up** (CFG w = \(Self.trim(settings.cfg)), \(settings.sampleSteps) Euler steps: the "
            + "guided velocity field of the trained model sends some samples off to huge or non-finite values): "
            + cases.joined(separator: "; ") + ". Their precision, recall and Fréchet distance are left out of the "
            + "cells' mean ± std, which say how many runs blew up.\n\n"
    }

    private func table(_ runs: [String: [Run]], schedule: Bool = false) -> String {
        var out = "| optimizer | steps |" + (schedule ? " schedule |" : "")
            + " time (s) | final train loss | held-out loss | precision | recall | Fréchet |\n"
        out += "|:---|---:|" + (schedule ? "---:|" : "") + String(repeating: "---:|", count: 6) + "\n"
        for name in names {
            let r = runs[name]!
            out += "| \(name) | \(Self.integerCell(r.map(\.steps))) |"
                + (schedule ? " \(Self.integerCell(r.map(\.scheduleSteps))) |" : "")
                + " \(Self.cell(r.map(\.seconds), digits: 3)) | \(Self.cell(r.map(\.trainLoss), digits: 4)) |"
                + " \(Self.cell(r.map(\.heldOutLoss), digits: 4)) | \(Self.sampleCell(r, \.precision)) |"
                + " \(Self.sampleCell(r, \.recall)) | \(Self.sampleCell(r, \.frechet)) |\n"
        }
        return out + "\n"
    }

    // MARK: - The two claims

    private func claims() -> String {
        var out = "## The two claims, checked against the numbers below\n\n"
        out += cautiousClaim() + "\n" + adamQLRClaim() + "\n"
        return out
    }

    /// Claim 1: cautious weight decay improves the final loss at no tuning cost. Compared per
    /// seed (the two runs of a seed share weights and batches), in the same-steps runs.
    private func cautiousClaim() -> String {
        let pairs = settings.variants.compactMap { v in v.plainName.map { (plain: $0, cautious: v.name) } }
            .filter { names.contains($0.plain) }
        guard !pairs.isEmpty else { return "1. **Cautious weight decay**: no plain/+CWD pair in this run.\n" }
        struct Comparison { let relative: Double; let clearlyBetter: Bool; let clearlyWorse: Bool }
        func compare(_ runs: [String: [Run]], _ pair: (plain: String, cautious: String),
                     _ metric: (Run) -> Double) -> Comparison {
            let plain = runs[pair.plain]!.map(metric), cautious = runs[pair.cautious]!.map(metric)
            let d = zip(cautious, plain).map { $0 - $1 }
            // With one seed there is no spread to judge by: nothing counts as clearly better or worse.
            let (m, se) = (mean(d), d.count > 1 ? std(d) / Double(d.count).squareRoot() : .infinity)
            return Comparison(relative: m / mean(plain), clearlyBetter: m < -2 * se && m < 0,
                              clearlyWorse: m > 2 * se && m > 0)
        }
        func summary(_ label: String, _ all: [Comparison]) -> (String, better: Int, clearlyBetter: Int, clearlyWorse: Int,
                                                                 meanChange: Double, largest: Double) {
            let better = all.filter { $0.relative < 0 }.count
            let clearlyBetter = all.filter(\.clearlyBetter).count, clearlyWorse = all.filter(\.clearlyWorse).count
            let meanChange = mean(all.map(\.relative)) * 100
            let largest = all.map { abs($0.relative) }.max() ?? 0
            let text = "\(label): lower with CWD in \(better) of \(all.count) (dataset, optimizer) pairs, by more than "
                + "2 standard errors of the per-seed difference in \(clearlyBetter), higher by that much in "
                + "\(clearlyWorse); mean relative change \(Self.signed(meanChange))% (largest "
                + String(format: "%.2f", largest * 100) + "%)"
            return (text, better, clearlyBetter, clearlyWorse, meanChange, largest * 100)
        }
        var heldA: [Comparison] = [], trainA: [Comparison] = [], heldB: [Comparison] = []
        for r in results {
            for p in pairs {
                heldA.append(compare(r.sameSteps, p, \.heldOutLoss))
                trainA.append(compare(r.sameSteps, p, \.trainLoss))
                heldB.append(compare(r.sameTime, p, \.heldOutLoss))
            }
        }
        let held = summary("held-out loss", heldA)
        let train = summary("final training loss", trainA)
        let time = summary("held-out loss", heldB)
        let n = heldA.count
        let strengths = settings.variants.filter { v in pairs.contains { $0.plain == v.name } }
            .map { "\($0.name) " + String(format: "%.0e", Double($0.learningRate) * Double($0.weightDecay)) }
            .joined(separator: ", ")
        // "Holds" needs the loss to be lower beyond the seed noise in most pairs, never clearly
        // higher, and lower by at least 0.5 % on average (a smaller gain makes no practical difference).
        var verdict: String
        let consistent = held.clearlyBetter * 3 >= n * 2 && held.clearlyWorse == 0 && held.meanChange < 0
        if consistent && held.meanChange <= -0.5 {
            verdict = "**holds here**: with the same hyperparameters, cautious decay lowered the held-out loss beyond "
                + "the seed noise in most (dataset, optimizer) pairs, never clearly raised it, and by "
                + "\(Self.signed(-held.meanChange)) % on average"
        } else if consistent {
            verdict = "**holds only nominally here**: cautious decay lowered the held-out loss consistently (beyond the "
                + "seed noise in most pairs), but by at most \(String(format: "%.2f", held.largest)) %, which makes no "
                + "practical difference"
        } else if held.meanChange >= 0 || held.better * 2 <= n {
            verdict = "**does not hold here**: with the same hyperparameters, cautious decay did not lower the "
                + "held-out loss in most (dataset, optimizer) pairs"
        } else {
            verdict = "**is not clearly supported here**: the held-out loss is lower with cautious decay on average, "
                + "but not beyond the seed noise in most pairs"
        }
        return "1. **Cautious weight decay improves the final loss at no tuning cost** — \(verdict). "
            + "Same steps, \(held.0); \(train.0). Same wall time (not reproducible, so less telling), \(time.0). "
            + "\"No tuning cost\" holds by construction: the +CWD runs reuse the plain runs' learning rate and λ. "
            + "At these defaults the decay itself is weak (the peak lr·λ per step: \(strengths)), which bounds what "
            + "any form of it can change.\n"
    }

    /// Claim 2: untuned AdamQLR is competitive with the baselines in performance against run time.
    private func adamQLRClaim() -> String {
        let name = OptimizerExperiment.adamQLRName
        guard names.contains(name) else {
            return "2. **Untuned AdamQLR is competitive with tuned baselines in performance against run time** — "
                + "**[PLACEHOLDER: AdamQLR was not part of this run, so this claim is not tested yet. Add it to "
                + "`OptimizerExperiment.allVariants` and rerun the command.]**\n"
        }
        let baselines = names.filter { $0 != name }
        var competitive = 0, lines: [String] = []
        for r in results {
            let q = r.sameTime[name]!.map(\.heldOutLoss)
            guard let best = baselines.min(by: { mean(r.sameTime[$0]!.map(\.heldOutLoss)) < mean(r.sameTime[$1]!.map(\.heldOutLoss)) })
            else { continue }
            let b = r.sameTime[best]!.map(\.heldOutLoss)
            let ratio = mean(q) / mean(b)
            let noise = 2 * (std(q) * std(q) + std(b) * std(b)).squareRoot()
            let ok = ratio <= 1.02 || mean(q) - mean(b) <= noise
            if ok { competitive += 1 }
            lines.append("\(r.name) \(String(format: "%.3f", ratio))× \(best)" + (ok ? "" : " (not competitive)"))
        }
        // The cost of a step relative to plain AdamW's, from the same-steps times.
        let costs = results.compactMap { r -> Double? in
            guard let base = r.sameSteps[names[0]], let q = r.sameSteps[name] else { return nil }
            return mean(q.map(\.seconds)) / mean(base.map(\.seconds))
        }
        var cost = costs.isEmpty ? "" : " One AdamQLR step took " + String(format: "%.1f–%.1f", costs.min()!, costs.max()!)
            + "× the time of one \(names[0]) step here (same-steps runs)."
        let all = results.flatMap { r in [r.sameSteps, r.sameTime].flatMap { $0[name]! } }
        let others = results.flatMap { r in [r.sameSteps, r.sameTime].flatMap { runs in baselines.flatMap { runs[$0]! } } }
        let blown = all.filter(\.samplesDiverged).count, othersBlown = others.filter(\.samplesDiverged).count
        if blown > 0 {
            cost += " Its CFG samples blew up in \(blown) of \(all.count) runs (listed under the tables), "
                + (othersBlown == 0 ? "those of the other optimizers in none." : "those of the other optimizers in \(othersBlown) of \(others.count).")
        }
        let verdict = competitive * 3 >= results.count * 2
            ? "**holds here**" : competitive * 2 >= results.count ? "**holds only in part here**" : "**does not hold here**"
        return "2. **Untuned AdamQLR is competitive with tuned baselines in performance against run time** — \(verdict): "
            + "at the same wall-clock budget its held-out loss is within 2 % of (or within twice the seed spread of) "
            + "the best other optimizer's on \(competitive) of \(results.count) datasets (AdamQLR's held-out loss relative "
            + "to the best: \(lines.joined(separator: "; "))). The baselines run at their documented defaults, "
            + "not tuned per dataset here, so this is a comparison with reasonable defaults, not with a per-task search."
            + cost + "\n"
    }

    // MARK: - Formatting

    private func relativePlotPath() -> String {
        let report = reportDirectory.standardizedFileURL.path
        let plots = plotDirectory.standardizedFileURL.path
        if plots.hasPrefix(report + "/") { return String(plots.dropFirst(report.count + 1)) }
        return plots
    }

    static func cell(_ v: [Double], digits: Int) -> String {
        let text = significant(mean(v), digits)
        return v.count > 1 ? text + " ± " + String(format: "%.2g", std(v)) : text
    }

    /// A sample-quality cell over the runs whose samples did not blow up, noting how many did.
    static func sampleCell(_ runs: [Run], _ metric: (Run) -> Double) -> String {
        let kept = runs.filter { !$0.samplesDiverged }.map(metric)
        let blown = runs.count - kept.count
        guard blown > 0 else { return cell(kept, digits: 3) }
        return (kept.isEmpty ? "—" : cell(kept, digits: 3)) + " (\(blown) blew up)"
    }

    static func integerCell(_ v: [Int]) -> String {
        Set(v).count == 1 ? "\(v[0])" : String(format: "%.0f ± %.0f", mean(v.map(Double.init)), std(v.map(Double.init)))
    }

    /// `digits` significant digits, no exponent for values from 0.001 up.
    static func significant(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "\(v)" }
        if v == 0 || abs(v) >= 0.001 {
            let decimals = max(0, digits - 1 - Int(Foundation.floor(log10(max(abs(v), 1e-300)))))
            return String(format: "%.\(min(decimals, 6))f", v)
        }
        return String(format: "%.\(digits - 1)e", v)
    }

    static func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
    static func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + String(format: "%.2f", v) }
    static func trim(_ v: Float) -> String { String(format: "%g", Double(v)) }
    static func lr(_ v: Float) -> String { String(format: "%g", Double(v)) }

}

private func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }

/// The sample standard deviation (0 for fewer than 2 values).
private func std(_ v: [Double]) -> Double {
    guard v.count > 1 else { return 0 }
    let m = mean(v)
    return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
}
