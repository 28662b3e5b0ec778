#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A sampling schedule: noise levels σ_0 > σ_1 > … > σ_N = 0 with σ_0 ≤ 1.
///
/// Convention (DESIGN.md §2): σ is the noise level, σ = 1 pure noise and σ = 0 data; the path is
/// `x_σ = (1−σ)·x0 + σ·ε` and step `i` goes from `sigmas[i]` to `sigmas[i + 1]` with the
/// (negative) step size `h_i = σ_{i+1} − σ_i`, e.g. Euler `x ← x + h_i·v`.
///
/// The Momentum Guidance paper writes time as `t = 1 − σ` (data at t = 1) and its velocity as
/// `v_RF = −v`. FlowGuide has one code path, in σ; ``time(fromSigma:)``, ``sigma(fromTime:)`` and
/// ``times`` convert for comparison with the paper.
///
/// Every constructor validates the result like ``custom(_:)`` and throws
/// `KernelError(.invalidArgument, …)` on a bad argument.
public struct TimeGrid: Hashable, Sendable {
    /// σ_0, …, σ_N: at most 1, strictly decreasing, the last exactly 0.
    public let sigmas: [Float]

    private init(validated sigmas: [Float]) { self.sigmas = sigmas }

    /// The number of steps N (one fewer than the number of σ values).
    public var steps: Int { sigmas.count - 1 }

    /// The step sizes `h_i = σ_{i+1} − σ_i` (all negative), one per step, in float32 as a solver
    /// uses them.
    public var stepSizes: [Float] { (0..<steps).map { sigmas[$0 + 1] - sigmas[$0] } }

    /// The grid in the MG paper's time, `t_i = 1 − σ_i`: increasing from 1 − σ_0 to 1.
    public var times: [Float] { sigmas.map(Self.time(fromSigma:)) }

    /// The MG paper's time `t = 1 − σ` for a noise level σ.
    public static func time(fromSigma sigma: Float) -> Float { 1 - sigma }

    /// The noise level `σ = 1 − t` for the MG paper's time t.
    public static func sigma(fromTime t: Float) -> Float { 1 - t }

    // MARK: - Schedules

    /// `steps` equal steps from σ = 1 to 0: `σ_i = 1 − i/N`.
    public static func uniform(steps: Int) throws(KernelError) -> TimeGrid {
        try shifted(steps: steps, "uniform") { $0 }
    }

    /// The SD3 static shift of the uniform grid: `σ' = s·σ / (1 + (s−1)·σ)`.
    /// `shift` > 1 spends more steps at high noise; `shift` = 1 is the uniform grid.
    public static func sd3(steps: Int, shift: Double) throws(KernelError) -> TimeGrid {
        guard shift.isFinite, shift > 0 else {
            throw KernelError(.invalidArgument, "TimeGrid.sd3: shift must be finite and > 0, got \(shift)")
        }
        return try shifted(steps: steps, "sd3") { shift * $0 / (1 + (shift - 1) * $0) }
    }

    /// The FLUX resolution-dependent shift of the uniform grid:
    /// `σ' = e^μ / (e^μ + (1/σ − 1))` with μ = ``fluxMu(tokens:)`` (σ = 0 maps to 0, σ = 1 to 1).
    public static func flux(steps: Int, tokens: Int) throws(KernelError) -> TimeGrid {
        guard tokens > 0 else {
            throw KernelError(.invalidArgument, "TimeGrid.flux: tokens must be > 0, got \(tokens)")
        }
        let e = exp(fluxMu(tokens: tokens))
        return try shifted(steps: steps, "flux") { s in
            s == 0 ? 0 : (s == 1 ? 1 : e / (e + (1 / s - 1)))
        }
    }

    /// FLUX's shift parameter μ: linear in the token count through (256, 0.5) and (4096, 1.15),
    /// extrapolated linearly outside that range (as diffusers' `calculate_shift`).
    public static func fluxMu(tokens: Int) -> Double {
        let slope = (1.15 - 0.5) / (4096.0 - 256.0)
        return 0.5 + slope * (Double(tokens) - 256)
    }

    /// A user-given grid. Throws `KernelError(.invalidArgument, …)` unless there are at least 2
    /// values, all finite, the first in (0, 1], strictly decreasing, and the last exactly 0.
    public static func custom(_ sigmas: [Float]) throws(KernelError) -> TimeGrid {
        guard sigmas.count >= 2 else {
            throw KernelError(.invalidArgument,
                              "TimeGrid: a grid needs at least 2 σ values, got \(sigmas.count)")
        }
        if let i = sigmas.firstIndex(where: { !$0.isFinite }) {
            throw KernelError(.invalidArgument, "TimeGrid: σ[\(i)] = \(sigmas[i]) is not finite")
        }
        guard sigmas[0] > 0, sigmas[0] <= 1 else {
            throw KernelError(.invalidArgument, "TimeGrid: σ[0] = \(sigmas[0]) must be in (0, 1]")
        }
        for i in 1..<sigmas.count where !(sigmas[i] < sigmas[i - 1]) {
            throw KernelError(.invalidArgument,
                              "TimeGrid: σ must be strictly decreasing, but σ[\(i - 1)] = \(sigmas[i - 1]) "
                                  + "and σ[\(i)] = \(sigmas[i])")
        }
        let last = sigmas.count - 1
        guard sigmas[last] == 0 else {
            throw KernelError(.invalidArgument, "TimeGrid: the last value σ[\(last)] = \(sigmas[last]) must be 0")
        }
        var values = sigmas
        values[last] = 0  // +0, also for a given −0
        return TimeGrid(validated: values)
    }

    /// The uniform grid `1 − i/N` mapped through `map` in Double, rounded to float32, validated.
    private static func shifted(steps: Int, _ name: String,
                                _ map: (Double) -> Double) throws(KernelError) -> TimeGrid {
        guard steps >= 1 else {
            throw KernelError(.invalidArgument, "TimeGrid.\(name): steps must be >= 1, got \(steps)")
        }
        let n = Double(steps)
        let values = (0...steps).map { i in Float(map(Double(steps - i) / n)) }
        return try custom(values)
    }
}
