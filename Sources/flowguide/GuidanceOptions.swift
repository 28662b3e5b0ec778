import ArgumentParser
import FlowGuide

/// The projection space of `--apg-space`.
enum APGSpaceName: String, CaseIterable, ExpressibleByArgument {
    case x0, velocity

    var space: AdaptiveProjectedGuidance.Space { self == .x0 ? .denoised : .velocity }
}

/// The guidance chain: CFG (and variants) or APG, with an optional σ interval, and Momentum
/// Guidance (docs/sampling.md).
struct GuidanceOptions: ParsableArguments {
    // MARK: CFG

    @Option(name: .customLong("cfg"), parsing: .unconditional, help: ArgumentHelp("Classifier-free guidance with scale W (1: none).", valueName: "w"))
    var cfgScale: Float?

    @Option(name: .customLong("cfg-interval"), parsing: .unconditional, help: ArgumentHelp(
        "Guide (CFG or APG) only where LO ≤ σ ≤ HI; scale 1 elsewhere.", valueName: "lo,hi"),
        transform: SigmaRange.parse)
    var interval: ClosedRange<Float>?

    @Option(name: .customLong("cfg-rescale"), parsing: .unconditional, help: ArgumentHelp("CFG rescale with factor PHI in [0, 1] (needs --cfg).", valueName: "phi"))
    var rescale: Float?

    @Flag(name: .customLong("cfg-zero-star"), help: "CFG-Zero* (needs --cfg).")
    var zeroStar = false

    @Option(name: .customLong("zero-init"), parsing: .unconditional, help: ArgumentHelp("CFG-Zero*: leave x unchanged for the first K steps (default: 0).", valueName: "k"))
    var zeroInitSteps: Int?

    // MARK: APG

    @Option(name: .customLong("apg"), parsing: .unconditional, help: ArgumentHelp("Adaptive projected guidance with scale W (instead of --cfg).", valueName: "w"))
    var apgScale: Float?

    @Option(name: .customLong("apg-eta"), parsing: .unconditional, help: ArgumentHelp("APG: weight of the parallel component (default: 0).", valueName: "eta"))
    var apgEta: Float?

    @Option(name: .customLong("apg-threshold"), parsing: .unconditional, help: ArgumentHelp("APG: norm threshold r > 0 (default: inf, none).", valueName: "r"))
    var apgThreshold: Float?

    @Option(name: .customLong("apg-momentum"), parsing: .unconditional, help: ArgumentHelp("APG: momentum β in (-1, 1) (default: 0).", valueName: "beta"))
    var apgMomentum: Float?

    @Option(name: .customLong("apg-space"), help: "APG: project denoised estimates (x0, default) or velocities.")
    var apgSpace: APGSpaceName?

    // MARK: Momentum Guidance

    @Option(name: .customLong("mg-alpha"), parsing: .unconditional, help: ArgumentHelp("Momentum Guidance with strength A (turns MG on).", valueName: "a"))
    var mgAlpha: Float?

    @Option(name: .customLong("mg-beta"), parsing: .unconditional, help: ArgumentHelp("MG: EMA decay in [0, 1) (default: 0.6).", valueName: "b"))
    var mgBeta: Float?

    @Option(name: .customLong("mg-window"), parsing: .unconditional, help: ArgumentHelp(
        "MG: extrapolate only for steps starting at LO ≤ σ ≤ HI.", valueName: "lo,hi"),
        transform: SigmaRange.parse)
    var mgWindow: ClosedRange<Float>?

    @Flag(name: .customLong("mg-normalize"), help: "MG: rescale the average to the norm of the current direction.")
    var mgNormalize = false

    @Flag(name: .customLong("mg-debias"), help: "MG: start the average at 0 and debias it (Adam-style).")
    var mgDebias = false

    static let defaultMGBeta: Float = 0.6

    func validate() throws {
        if cfgScale != nil, apgScale != nil { throw ValidationError("--cfg and --apg cannot be combined: pick one") }
        if cfgScale == nil {
            if rescale != nil { throw ValidationError("--cfg-rescale needs --cfg") }
            if zeroStar { throw ValidationError("--cfg-zero-star needs --cfg") }
        }
        if rescale != nil, zeroStar { throw ValidationError("--cfg-rescale and --cfg-zero-star cannot be combined: pick one") }
        if zeroInitSteps != nil, !zeroStar { throw ValidationError("--zero-init needs --cfg-zero-star") }
        if let k = zeroInitSteps, k < 0 { throw ValidationError("--zero-init must be >= 0, got \(k)") }
        if interval != nil, cfgScale == nil, apgScale == nil { throw ValidationError("--cfg-interval needs --cfg or --apg") }
        if apgScale == nil {
            for (flag, given) in [("--apg-eta", apgEta != nil), ("--apg-threshold", apgThreshold != nil),
                                  ("--apg-momentum", apgMomentum != nil), ("--apg-space", apgSpace != nil)] where given {
                throw ValidationError("\(flag) needs --apg")
            }
        }
        if mgAlpha == nil {
            for (flag, given) in [("--mg-beta", mgBeta != nil), ("--mg-window", mgWindow != nil),
                                  ("--mg-normalize", mgNormalize), ("--mg-debias", mgDebias)] where given {
                throw ValidationError("\(flag) needs --mg-alpha")
            }
        }
        for (flag, value) in [("--cfg", cfgScale), ("--apg", apgScale), ("--cfg-rescale", rescale), ("--apg-eta", apgEta),
                              ("--apg-momentum", apgMomentum), ("--mg-alpha", mgAlpha), ("--mg-beta", mgBeta)] {
            if let value, !value.isFinite { throw ValidationError("\(flag) must be finite, got \(value)") }
        }
        if let phi = rescale, !(0...1).contains(phi) { throw ValidationError("--cfg-rescale must be in [0, 1], got \(phi)") }
        if let r = apgThreshold, !(r > 0) { throw ValidationError("--apg-threshold must be > 0, got \(r)") }
        if let b = apgMomentum, !(abs(b) < 1) { throw ValidationError("--apg-momentum must be in (-1, 1), got \(b)") }
        if let b = mgBeta, !(b >= 0 && b < 1) { throw ValidationError("--mg-beta must be in [0, 1), got \(b)") }
    }

    /// The sampler's guidance chain.
    var guidance: Guidance {
        var combiner = BranchCombiner.none
        var w: Float = 1
        if let cfgScale {
            w = cfgScale
            if let rescale { combiner = .cfgRescale(phi: rescale) }
            else if zeroStar { combiner = .cfgZeroStar(zeroInitSteps: zeroInitSteps ?? 0) }
            else { combiner = .cfg }
        } else if let apgScale {
            w = apgScale
            combiner = .apg(eta: apgEta ?? 0, threshold: apgThreshold ?? .infinity, momentum: apgMomentum ?? 0,
                            space: (apgSpace ?? .x0).space)
        }
        let scale: GuidanceScale = interval.map { .interval(w, sigmas: $0) } ?? .constant(w)
        let momentum = mgAlpha.map {
            MomentumGuidance(alpha: $0, beta: mgBeta ?? Self.defaultMGBeta, normalize: mgNormalize, debias: mgDebias)
        }
        return Guidance(combiner: combiner, scale: scale, momentum: momentum, momentumWindow: mgWindow)
    }

    /// A one-line description, e.g. `cfg(w=3, sigma in [0.2, 0.8]) + mg(alpha=0.5, beta=0.6)`, or `none`.
    var summary: String {
        var parts: [String] = []
        let range = interval.map { ", sigma in [\($0.lowerBound), \($0.upperBound)]" } ?? ""
        if let cfgScale {
            let w = Self.format(cfgScale)
            if let rescale { parts.append("cfg-rescale(w=\(w), phi=\(Self.format(rescale))\(range))") }
            else if zeroStar { parts.append("cfg-zero-star(w=\(w), zero-init=\(zeroInitSteps ?? 0)\(range))") }
            else { parts.append("cfg(w=\(w)\(range))") }
        } else if let apgScale {
            parts.append("apg(w=\(Self.format(apgScale)), eta=\(Self.format(apgEta ?? 0)), "
                         + "threshold=\(Self.format(apgThreshold ?? .infinity)), momentum=\(Self.format(apgMomentum ?? 0)), "
                         + "space=\((apgSpace ?? .x0).rawValue)\(range))")
        }
        if let mgAlpha {
            var mg = "mg(alpha=\(Self.format(mgAlpha)), beta=\(Self.format(mgBeta ?? Self.defaultMGBeta))"
            if let mgWindow { mg += ", window=[\(mgWindow.lowerBound), \(mgWindow.upperBound)]" }
            if mgNormalize { mg += ", normalize" }
            if mgDebias { mg += ", debias" }
            parts.append(mg + ")")
        }
        return parts.isEmpty ? "none" : parts.joined(separator: " + ")
    }

    /// `3` rather than `3.0`; other values as Float prints them.
    static func format(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
    }
}
