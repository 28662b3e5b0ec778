// The same math as the kernels, written the straightforward way: one plain Swift loop per line
// of math, over [Float] arrays, on one thread (no SIMD intrinsics, no unsafe pointers, bounds
// checks on). Temporaries are preallocated by the caller. This is the "unfused" baseline.

import Foundation

enum Params {
    static let h: Float = -0.02          // step size (sigma_next - sigma < 0)
    static let w: Float = 4.0            // CFG scale
    static let phi: Float = 0.7          // CFG-rescale factor
    static let mgAlpha: Float = 0.5
    static let mgBeta: Float = 0.6
    static let mgEps: Float = 1e-8
    static let apgW: Float = 4.5
    static let apgEta: Float = 0.0
    static let apgR: Float = 10.0
    static let apgBeta: Float = -0.5
    static let apgSigma: Float = 0.7
    static let combine: [Float] = [-0.01, -0.01]  // Heun: x + h/2·k1 + h/2·k2
}

enum Plain {
    static func euler(_ x: inout [Float], _ v: [Float], _ h: Float) {
        for i in 0..<x.count { x[i] += h * v[i] }
    }

    static func combine2(_ x: inout [Float], _ k1: [Float], _ k2: [Float], _ a1: Float, _ a2: Float) {
        for i in 0..<x.count { x[i] = x[i] + a1 * k1[i] + a2 * k2[i] }
    }

    static func cfgBlend(_ g: inout [Float], _ c: [Float], _ u: [Float], _ w: Float) {
        for i in 0..<g.count { g[i] = u[i] + w * (c[i] - u[i]) }
    }

    static func cfgEuler(_ x: inout [Float], _ c: [Float], _ u: [Float], _ w: Float, _ h: Float,
                         _ g: inout [Float]) {
        cfgBlend(&g, c, u, w)
        for i in 0..<x.count { x[i] += h * g[i] }
    }

    static func rowDot(_ out: inout [Float], _ a: [Float], _ b: [Float], cols: Int) {
        for r in 0..<out.count {
            var s: Float = 0
            for j in r * cols..<(r + 1) * cols { s += a[j] * b[j] }
            out[r] = s
        }
    }

    static func rowStd(_ out: inout [Float], _ a: [Float], cols: Int) {
        for r in 0..<out.count {
            var s: Float = 0, s2: Float = 0
            for j in r * cols..<(r + 1) * cols { s += a[j]; s2 += a[j] * a[j] }
            let mean = s / Float(cols)
            out[r] = (max(s2 / Float(cols) - mean * mean, 0)).squareRoot()
        }
    }

    static func cfgRescale(_ g: inout [Float], _ c: [Float], _ u: [Float], _ w: Float, _ phi: Float,
                           cols: Int, stdC: inout [Float], stdG: inout [Float]) {
        cfgBlend(&g, c, u, w)
        rowStd(&stdC, c, cols: cols)
        rowStd(&stdG, g, cols: cols)
        for r in 0..<stdC.count {
            let f = stdG[r] > 0 ? stdC[r] / stdG[r] : 1
            for j in r * cols..<(r + 1) * cols { g[j] = phi * g[j] * f + (1 - phi) * g[j] }
        }
    }

    static func cfgZeroStar(_ g: inout [Float], _ c: [Float], _ u: [Float], _ w: Float, cols: Int,
                            dot: inout [Float], uu: inout [Float]) {
        rowDot(&dot, c, u, cols: cols)
        rowDot(&uu, u, u, cols: cols)
        for r in 0..<dot.count {
            let s = dot[r] / (uu[r] + 1e-8)
            for j in r * cols..<(r + 1) * cols { g[j] = s * u[j] + w * (c[j] - s * u[j]) }
        }
    }

    /// g = d + a·(d - m); x += h·g; m = (1-b)·d + b·m  (three loops; with normalize, m_eff is a
    /// fourth array scaled per row first).
    static func mgEuler(_ x: inout [Float], _ d: [Float], _ m: inout [Float], _ g: inout [Float],
                        _ h: Float, normalize: Bool, cols: Int,
                        meff: inout [Float], nd: inout [Float], nm: inout [Float]) {
        let a = Params.mgAlpha, b = Params.mgBeta
        if normalize {
            rowDot(&nd, d, d, cols: cols)
            rowDot(&nm, m, m, cols: cols)
            for r in 0..<nd.count {
                let f = nd[r].squareRoot() / (nm[r].squareRoot() + Params.mgEps)
                for j in r * cols..<(r + 1) * cols { meff[j] = m[j] * f }
            }
            for i in 0..<g.count { g[i] = d[i] + a * (d[i] - meff[i]) }
        } else {
            for i in 0..<g.count { g[i] = d[i] + a * (d[i] - m[i]) }
        }
        for i in 0..<x.count { x[i] += h * g[i] }
        for i in 0..<m.count { m[i] = (1 - b) * d[i] + b * m[i] }
    }

    /// APG in x0 space, one loop per line of DESIGN.md §3.
    static func apg(_ x: [Float], _ c: [Float], _ u: [Float], _ prev: inout [Float], _ g: inout [Float],
                    cols: Int, dc: inout [Float], du: inout [Float], delta: inout [Float],
                    nrm: inout [Float], dot: inout [Float], ncc: inout [Float]) {
        let s = Params.apgSigma, beta = Params.apgBeta, r = Params.apgR
        let w = Params.apgW, eta = Params.apgEta
        for i in 0..<x.count { dc[i] = x[i] - s * c[i] }
        for i in 0..<x.count { du[i] = x[i] - s * u[i] }
        for i in 0..<x.count { delta[i] = dc[i] - du[i] + beta * prev[i] }
        for i in 0..<x.count { prev[i] = delta[i] }
        rowDot(&nrm, delta, delta, cols: cols)
        for row in 0..<nrm.count {
            let f = min(1, r / nrm[row].squareRoot())
            for j in row * cols..<(row + 1) * cols { delta[j] *= f }
        }
        rowDot(&dot, delta, dc, cols: cols)
        rowDot(&ncc, dc, dc, cols: cols)
        for row in 0..<dot.count {
            let k = ncc[row] > 0 ? dot[row] / ncc[row] : 0
            // D_hat = D_c + (w-1)·(perp + eta·par), with par = k·D_c, perp = delta - par (into du).
            for j in row * cols..<(row + 1) * cols {
                du[j] = dc[j] + (w - 1) * ((delta[j] - k * dc[j]) + eta * k * dc[j])
            }
        }
        for i in 0..<x.count { g[i] = (x[i] - du[i]) / s }
    }
}
