// The kernels under test: each C call, its compulsory memory traffic, and its plain-Swift twin.

import CFlowKernels

struct KernelCase {
    /// Stable id, shared with numpy_bench.py.
    let id: String
    /// Arrays of n floats that must cross memory once per call (reads + writes).
    let arrays: Int
    let traffic: String
    /// Operands the C call writes (compared against the Swift twin).
    let outputs: [Operand]
    /// Writes none of its [B, D] operands (row reductions): its floor is fb_dot, not the axpy.
    var readOnly = false
    let runC: () -> fk_status
    let runSwift: (() -> Void)?
}

/// The cases for one size. C closures capture raw pointers (no lookups inside the timed call).
func kernelCases(_ ws: Workspace, _ sw: SwiftWork) -> [KernelCase] {
    let rows = Int64(ws.rows), cols = Int64(ws.cols), ld = cols
    let x = ws[.x], c = ws[.c], u = ws[.u], m = ws[.m], prev = ws[.prev], g = ws[.g]
    let rowOut = ws.rowOut.p
    let h = Params.h, w = Params.w
    let colsI = ws.cols

    let mg = fk_mg_params(alpha: Params.mgAlpha, beta: Params.mgBeta, eps: Params.mgEps,
                          flags: 0, active: 1, reserved: 0, updates: 5)
    var mgNorm = mg
    mgNorm.flags = Int32(FK_MG_NORMALIZE)
    let apgParams = fk_apg_params(w: Params.apgW, eta: Params.apgEta, r: Params.apgR,
                                  beta: Params.apgBeta, sigma: Params.apgSigma,
                                  space: Int32(FK_APG_X0_SPACE))
    let coeffs = Params.combine
    let terms: [UnsafePointer<Float>?] = [UnsafePointer(c), UnsafePointer(u)]
    // Stable storage for the by-pointer arguments of the timed calls.
    let mgP = UnsafeMutablePointer<fk_mg_params>.allocate(capacity: 2)
    mgP.initialize(to: mg)
    (mgP + 1).initialize(to: mgNorm)
    let apgP = UnsafeMutablePointer<fk_apg_params>.allocate(capacity: 1)
    apgP.initialize(to: apgParams)
    let coeffP = UnsafeMutablePointer<Float>.allocate(capacity: 2)
    coeffP.initialize(from: coeffs, count: 2)
    let termP = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: 2)
    termP.initialize(from: terms, count: 2)
    // (Never freed: a few bytes per size, alive as long as the closures.)

    return [
        KernelCase(id: "euler", arrays: 3, traffic: "r x,v  w x", outputs: [.x],
                   runC: { fk_euler_step(rows, cols, x, ld, c, ld, h, x, ld) },
                   runSwift: { Plain.euler(&sw.x, sw.c, h) }),
        KernelCase(id: "combine2", arrays: 4, traffic: "r x,k1,k2  w x", outputs: [.x],
                   runC: { fk_combine(rows, cols, ld, x, 2, coeffP, termP, x) },
                   runSwift: { Plain.combine2(&sw.x, sw.c, sw.u, coeffs[0], coeffs[1]) }),
        KernelCase(id: "cfg_blend", arrays: 3, traffic: "r c,u  w g", outputs: [.g],
                   runC: { fk_cfg_blend(rows, cols, c, ld, u, ld, w, g, ld) },
                   runSwift: { Plain.cfgBlend(&sw.g, sw.c, sw.u, w) }),
        KernelCase(id: "cfg_euler", arrays: 4, traffic: "r c,u,x  w x", outputs: [.x],
                   runC: { fk_cfg_euler_step(rows, cols, x, ld, c, ld, u, ld, w, h) },
                   runSwift: { Plain.cfgEuler(&sw.x, sw.c, sw.u, w, h, &sw.t1) }),
        KernelCase(id: "cfg_rescale", arrays: 3, traffic: "r c,u  w g", outputs: [.g],
                   runC: { fk_cfg_rescale(rows, cols, c, ld, u, ld, w, Params.phi, g, ld) },
                   runSwift: {
                       Plain.cfgRescale(&sw.g, sw.c, sw.u, w, Params.phi, cols: colsI,
                                        stdC: &sw.rowA, stdG: &sw.rowB)
                   }),
        KernelCase(id: "cfg_zero_star", arrays: 3, traffic: "r c,u  w g", outputs: [.g],
                   runC: { fk_cfg_zero_star(rows, cols, c, ld, u, ld, w, g, ld, rowOut) },
                   runSwift: {
                       Plain.cfgZeroStar(&sw.g, sw.c, sw.u, w, cols: colsI, dot: &sw.rowA, uu: &sw.rowB)
                   }),
        KernelCase(id: "row_dot", arrays: 2, traffic: "r a,b", outputs: [], readOnly: true,
                   runC: { fk_row_dot(rows, cols, c, ld, u, ld, rowOut) },
                   runSwift: { Plain.rowDot(&sw.rowA, sw.c, sw.u, cols: colsI) }),
        KernelCase(id: "mg_euler", arrays: 5, traffic: "r v,m,x  w x,m", outputs: [.x, .m],
                   runC: { fk_mg_euler_step(rows, cols, x, ld, c, ld, m, ld, h, mgP, nil, 0, nil) },
                   runSwift: {
                       Plain.mgEuler(&sw.x, sw.c, &sw.m, &sw.g, h, normalize: false, cols: colsI,
                                     meff: &sw.t1, nd: &sw.rowA, nm: &sw.rowB)
                   }),
        KernelCase(id: "mg_euler_norm", arrays: 5, traffic: "r v,m,x  w x,m", outputs: [.x, .m],
                   runC: { fk_mg_euler_step(rows, cols, x, ld, c, ld, m, ld, h, mgP + 1, nil, 0, nil) },
                   runSwift: {
                       Plain.mgEuler(&sw.x, sw.c, &sw.m, &sw.g, h, normalize: true, cols: colsI,
                                     meff: &sw.t1, nd: &sw.rowA, nm: &sw.rowB)
                   }),
        KernelCase(id: "cfg_mg_euler", arrays: 6, traffic: "r c,u,m,x  w x,m", outputs: [.x, .m],
                   runC: {
                       fk_cfg_mg_euler_step(rows, cols, x, ld, c, ld, u, ld, w, m, ld, h, mgP, nil, 0, nil)
                   },
                   runSwift: {
                       Plain.cfgBlend(&sw.t2, sw.c, sw.u, w)
                       Plain.mgEuler(&sw.x, sw.t2, &sw.m, &sw.g, h, normalize: false, cols: colsI,
                                     meff: &sw.t1, nd: &sw.rowA, nm: &sw.rowB)
                   }),
        KernelCase(id: "apg", arrays: 6, traffic: "r x,c,u,prev  w g,prev", outputs: [.g, .prev],
                   runC: { fk_apg(rows, cols, x, ld, c, ld, u, ld, prev, ld, apgP, g, ld, nil) },
                   runSwift: {
                       Plain.apg(sw.x, sw.c, sw.u, &sw.prev, &sw.g, cols: colsI, dc: &sw.t1, du: &sw.t2,
                                 delta: &sw.t3, nrm: &sw.rowA, dot: &sw.rowB, ncc: &sw.rowC)
                   }),
        KernelCase(id: "randn", arrays: 1, traffic: "w out", outputs: [],
                   runC: { fk_randn(42, 0, 0, 0, rows, cols, g, ld) },
                   runSwift: nil),
    ]
}

/// Max-norm relative difference of two arrays (NaN if either holds a NaN).
func relErr(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    var diff = 0.0, scale = 0.0
    for i in 0..<a.count {
        let d = abs(Double(a[i]) - Double(b[i]))
        if d.isNaN { return .nan }
        diff = max(diff, d)
        scale = max(scale, abs(Double(b[i])))
    }
    return scale > 0 ? diff / scale : diff
}
