import FlowGuide
import Foundation

/// The plain-words findings of docs/experiments.md, each computed from the measurements (so a
/// rerun that changes a number changes the sentence with it).
extension TrainedExperiment {
    func findings(_ r: ModelResult) -> String {
        let (fewest, most) = (budgets.min()!, budgets.max()!)
        let list = { (values: [String]) in values.joined(separator: "; ") }
        var out = "What the numbers say (\(r.name), computed from the tables):\n\n"

        // Where MG helps and hurts, by steps.
        let mgGain = budgets.map { ($0, improvement(r, mgSetting(r, $0), .euler, $0)) }
        let helps = mgGain.filter { $0.1 > 0 }.map { "\($0.0)" }, hurts = mgGain.filter { !($0.1 > 0) }.map { "\($0.0)" }
        out += "- **MG (tuned) vs Euler**, class Fréchet by steps: " + list(mgGain.map { "\($0.0): \(Self.percent($0.1))" })
            + ". It helps at " + (helps.isEmpty ? "no budget" : helps.joined(separator: ", ") + " steps")
            + (hurts.isEmpty ? "" : "; it hurts at " + hurts.joined(separator: ", ") + " steps")
            + ". Tuned α by steps: " + list(budgets.map { "\($0): \(ExperimentSetting.short(r.mg[$0]!.alpha))" }) + ".\n"

        // Too large α: from the tuning grid, the best β at α = max vs the tuned setting.
        let largest = Self.alphas.max()!
        let tooLarge = budgets.map { b -> String in
            let atLargest = Self.betas.map { r.tuning[.mg(largest, $0)]?[b] ?? .nan }.min() ?? .nan
            let tuned = r.tuning[r.mg[b]!]?[b] ?? .nan
            return "\(b): \(Self.number(atLargest)) vs \(Self.number(tuned))"
        }
        out += "- **Too large α**: the best class Fréchet distance with α = \(ExperimentSetting.short(largest)) (any β) vs the tuned "
            + "one, tuning seeds, by steps: " + list(tooLarge) + ".\n"
        let b = r.frontierBudget, beta = r.mg[b]!.beta
        let sweep: [ExperimentSetting] = [.euler] + Self.alphas.map { .mg($0, beta) }
        out += "- **α sweep** at \(b) steps (β \(ExperimentSetting.short(beta)), test seeds), α = 0, "
            + Self.alphas.map(ExperimentSetting.short).joined(separator: ", ") + ": precision "
            + sweep.map { Self.number(value(r, $0, b, Self.precision)) }.joined(separator: " → ") + ", recall "
            + sweep.map { Self.number(value(r, $0, b, Self.recall)) }.joined(separator: " → ") + ", class Fréchet "
            + sweep.map { Self.number(value(r, $0, b, Self.primary)) }.joined(separator: " → ") + ", spread "
            + sweep.map { Self.number(value(r, $0, b, Self.spread)) }.joined(separator: " → ") + ".\n"

        // Strong CFG.
        let byScale = Self.cfgScales.map { w in
            "w \(ExperimentSetting.short(w)): " + Self.percent(averageImprovement(r, { self.cfgMGSetting(r, w, $0) }, { _ in .cfg(w) }))
        }
        out += "- **CFG + MG vs CFG** by guidance scale (average over the budgets): " + list(byScale) + ". CFG alone vs Euler, "
            + "class Fréchet relative to Euler's (mean over the budgets): " + list(Self.cfgScales.map { w in
                let ratio = Self.mean(budgets.map { value(r, .cfg(w), $0, Self.primary) / value(r, .euler, $0, Self.primary) })
                return "w \(ExperimentSetting.short(w)): ×" + Self.number(ratio)
            }) + " (CFG trades fidelity to the data distribution for class typicality, as it is meant to).\n"

        // Many steps, Heun.
        out += "- **Few vs many steps**: MG changes class Fréchet by \(Self.percent(improvement(r, mgSetting(r, fewest), .euler, fewest))) at "
            + "\(fewest) steps and \(Self.percent(improvement(r, mgSetting(r, most), .euler, most))) at \(most); Euler's own class Fréchet "
            + "goes \(Self.number(value(r, .euler, fewest, Self.primary))) → \(Self.number(value(r, .euler, most, Self.primary))), "
            + "the data's floor is \(Self.number(r.floor.mean(Self.primary))).\n"
        let heunVsMG = budgets.map { b -> String in
            let (h, m) = (value(r, .heun, b, Self.primary), value(r, mgSetting(r, b), b, Self.primary))
            return "\(b): " + (m < h ? "MG" : "Heun") + " (\(Self.number(m)) vs \(Self.number(h)))"
        }
        out += "- **MG vs Heun at equal NFE** (lower class Fréchet wins): " + list(heunVsMG) + ".\n"
        let best = budgets.map { b -> String in
            let f = Self.families(r).min { value(r, $0.setting(b), b, Self.primary) < value(r, $1.setting(b), b, Self.primary) }!
            return "\(b): \(f.name)"
        }
        out += "- **Lowest class Fréchet distance** per step budget: " + list(best) + ".\n\n"
        return out
    }

    /// The closing section: the paper's claims against these results, and the over-smoothing
    /// diagnosis, per model.
    func analysis(_ results: [ModelResult]) -> String {
        let w = Self.headlineScale
        var out = "## Do the paper's claims hold here?\n\n"
        for r in results {
            let (fewest, most) = (budgets.min()!, budgets.max()!)
            let mgAverage = averageImprovement(r, { self.mgSetting(r, $0) }, { _ in .euler })
            let cfgAverage = averageImprovement(r, { self.cfgMGSetting(r, w, $0) }, { _ in .cfg(w) })
            out += "**\(r.name)**: average class Fréchet improvement of MG vs Euler \(Self.percent(mgAverage)) (paper +36.7%), "
                + "of CFG + MG vs CFG (w \(ExperimentSetting.short(w))) \(Self.percent(cfgAverage)) (paper +25.5%). "
            out += mgAverage > 0 ? "MG improves on plain Euler on average, " : "MG does not improve on plain Euler on average, "
            out += cfgAverage > 0 ? "and it improves CFG. " : "and it does not improve CFG. "
            let (mgBeyond, cfgBeyond, total) = frontierCounts(r)
            out += "On the precision–recall plane at \(r.frontierBudget) steps, \(mgBeyond) of \(total) CFG + MG points lie beyond "
                + "CFG's frontier and \(cfgBeyond) of \(total) CFG points beyond CFG + MG's: "
                + (mgBeyond > cfgBeyond ? "the frontier claim holds here. " : mgBeyond == cfgBeyond
                    ? "neither frontier dominates. " : "the frontier claim does not hold here. ")

            // Where it hurts.
            var hurts: [String] = []
            let badBudgets = budgets.filter { !(improvement(r, mgSetting(r, $0), .euler, $0) > 0) }
            if !badBudgets.isEmpty { hurts.append("tuned MG alone at " + badBudgets.map(String.init).joined(separator: ", ") + " steps") }
            for cw in Self.cfgScales {
                let bad = budgets.filter { !(improvement(r, cfgMGSetting(r, cw, $0), .cfg(cw), $0) > 0) }
                if !bad.isEmpty {
                    hurts.append("CFG w \(ExperimentSetting.short(cw)) + MG at " + bad.map(String.init).joined(separator: ", ") + " steps")
                }
            }
            let largest = Self.alphas.max()!
            let tooLarge = budgets.filter { b in
                let atLargest = Self.betas.map { r.tuning[.mg(largest, $0)]?[b] ?? .nan }.min() ?? .nan
                return atLargest > 1.5 * (r.tuning[.euler]?[b] ?? .nan)
            }
            if !tooLarge.isEmpty {
                hurts.append("α = \(ExperimentSetting.short(largest)) (any β) at " + tooLarge.map(String.init).joined(separator: ", ")
                    + " steps (class Fréchet over 1.5 × Euler's, tuning seeds)")
            }
            out += "MG hurts (class Fréchet worse than without it) for: " + (hurts.isEmpty ? "no setting measured" : hurts.joined(separator: "; ")) + ". "

            // Over-smoothing: few-step spread vs the data's, trained vs exact field, few vs many steps.
            let (e0, e1) = (value(r, .euler, fewest, Self.spread), value(r, .euler, most, Self.spread))
            let m0 = value(r, mgSetting(r, fewest), fewest, Self.spread)
            out += "With \(fewest) Euler steps the samples' within-class spread is \(Self.number(e0)) of the data's "
            out += e0 < 0.95 ? "(over-concentrated: the first large steps carry every sample toward the mean of its class, "
                + "the over-smoothing MG is designed to undo); " : e0 > 1.05 ? "(too diffuse); " : "(about right); "
            out += "tuned MG gives \(Self.number(m0)); at \(most) steps Euler gives \(Self.number(e1)). "
            let gainMost = improvement(r, mgSetting(r, most), .euler, most)
            if let x0 = r.exact[fewest]?.mean(Self.spread), let x1 = r.exact[most]?.mean(Self.spread) {
                out += "Euler on the exact mixture velocity gives \(Self.number(x0)) at \(fewest) and \(Self.number(x1)) at \(most) steps. "
                out += abs(x0 - e0) < 0.05
                    ? "So the few-step shrinkage is the Euler discretisation of the flow itself (the exact field shows it too), "
                    : "At few steps the trained model's shrinkage differs from the exact field's (\(Self.number(e0)) vs \(Self.number(x0))), "
                out += e1 < x1 - 0.03
                    ? "and with many steps the trained model stays more concentrated than the exact field (\(Self.number(e1)) vs "
                        + "\(Self.number(x1))): the network learned an over-smoothed field, clusters pulled toward their means. "
                        + "That residual is what MG keeps correcting when discretisation no longer matters: "
                        + "\(Self.percent(gainMost)) at \(most) steps.\n\n"
                    : "and with many steps the trained model matches the exact field (\(Self.number(e1)) vs \(Self.number(x1))): it is "
                        + "not over-smoothed, so MG has only the few-step error to correct (\(Self.percent(gainMost)) at \(most) steps).\n\n"
            } else {
                out += abs(e1 - 1) < 0.05
                    ? "With many steps the trained model reproduces the data's spread: the learned field is not over-smoothed. What MG "
                        + "corrects is the few-step error, which vanishes as the steps grow, so its benefit shrinks with the budget "
                        + "(\(Self.percent(gainMost)) at \(most) steps).\n\n"
                    : e1 < 1 ? "Even with many steps the samples stay too concentrated: the learned field is over-smoothed, and MG "
                        + "still changes the class Fréchet distance by \(Self.percent(gainMost)) at \(most) steps.\n\n"
                    : "With many steps the samples are more diffuse than the data: the model underfits the data's fine structure "
                        + "rather than over-smoothing it (MG at \(most) steps: \(Self.percent(gainMost))).\n\n"
            }
        }
        out += """
            The paper's numbers come from large image models at FID scale; these are small MLPs on low-dimensional \
            data, where a fitted-Gaussian distance and k-NN precision/recall are the available metrics. A positive \
            average here supports the direction of the claim, not its size. CFG on this class-conditional data \
            moves samples away from the data distribution (its purpose is class typicality, not fidelity), so \
            "CFG + MG vs CFG" measures how much MG counters CFG's concentration, not how close either gets to the data.

            """
        return out
    }
}
