import FlowGuide

/// One sampling setting of `flowguide experiment --suite trained`: a method and its parameters,
/// turned into ``SamplerOptions`` for a step budget.
///
/// The budget is the number of Euler steps. Every method takes that many steps except Heun,
/// which takes budget/2 steps (its NFE, 2 per step and 1 on the last, is then budget − 1: the
/// closest it gets to Euler's without exceeding it).
struct ExperimentSetting: Hashable, Comparable {
    enum Method: Int, Hashable {
        case euler, heun, mg, cfg, cfgMG, apg
    }

    var method: Method
    /// Guidance scale (CFG form; 1 = none).
    var w: Float = 1
    var alpha: Float = 0
    var beta: Float = 0
    /// MG extrapolates only in ``ExperimentSetting/window``.
    var windowed = false

    /// The σ window of windowed MG: active on steps starting at σ ≥ 0.3, plain steps near the data.
    static let window: ClosedRange<Float> = 0.3...1

    static let euler = ExperimentSetting(method: .euler)
    static let heun = ExperimentSetting(method: .heun)
    static func mg(_ alpha: Float, _ beta: Float, windowed: Bool = false) -> ExperimentSetting {
        ExperimentSetting(method: .mg, alpha: alpha, beta: beta, windowed: windowed)
    }
    static func cfg(_ w: Float) -> ExperimentSetting { ExperimentSetting(method: .cfg, w: w) }
    static func cfgMG(_ w: Float, _ alpha: Float, _ beta: Float) -> ExperimentSetting {
        ExperimentSetting(method: .cfgMG, w: w, alpha: alpha, beta: beta)
    }
    static func apg(_ w: Float) -> ExperimentSetting { ExperimentSetting(method: .apg, w: w) }

    /// Steps taken for a budget of `budget` Euler steps.
    func steps(budget: Int) -> Int { method == .heun ? max(1, budget / 2) : budget }

    func options(budget: Int) throws -> SamplerOptions {
        let grid = try TimeGrid.uniform(steps: steps(budget: budget))
        let momentum = MomentumGuidance(alpha: alpha, beta: beta)
        switch method {
        case .euler: return SamplerOptions(grid: grid)
        case .heun: return SamplerOptions(grid: grid, solver: .heun)
        case .mg:
            return SamplerOptions(grid: grid, guidance: Guidance(momentum: momentum,
                                                                 momentumWindow: windowed ? Self.window : nil))
        case .cfg: return SamplerOptions(grid: grid, guidance: .cfg(w))
        case .cfgMG:
            return SamplerOptions(grid: grid, guidance: Guidance(combiner: .cfg, scale: .constant(w), momentum: momentum))
        case .apg: return SamplerOptions(grid: grid, guidance: Guidance(combiner: .apg(eta: 0), scale: .constant(w)))
        }
    }

    /// The parameters in words, e.g. "α 0.5, β 0.6, σ ≥ 0.3".
    var parameters: String {
        var parts: [String] = []
        if method == .cfg || method == .cfgMG || method == .apg { parts.append("w \(Self.short(w))") }
        if method == .mg || method == .cfgMG { parts += ["α \(Self.short(alpha))", "β \(Self.short(beta))"] }
        if method == .apg { parts.append("η 0") }
        if windowed { parts.append("σ ≥ \(Self.short(Self.window.lowerBound))") }
        return parts.joined(separator: ", ")
    }

    var name: String {
        let base = switch method {
        case .euler: "Euler"
        case .heun: "Heun"
        case .mg: "MG"
        case .cfg: "CFG"
        case .cfgMG: "CFG + MG"
        case .apg: "APG"
        }
        return parameters.isEmpty ? base : "\(base) (\(parameters))"
    }

    /// 0.25, 1.5, 2 (no trailing ".0").
    static func short(_ v: Float) -> String {
        let text = String(v)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    static func < (a: Self, b: Self) -> Bool {
        (a.method.rawValue, a.w, a.windowed ? 1 : 0, a.alpha, a.beta)
            < (b.method.rawValue, b.w, b.windowed ? 1 : 0, b.alpha, b.beta)
    }
}
