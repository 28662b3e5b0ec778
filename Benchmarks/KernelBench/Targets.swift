// The benchmark targets of the issue, checked against this run's numbers (informational: the
// benchmark reports them, nothing fails on them).

import CFlowBench

func targetTable(kernels: [KernelResult], refs: [ReferenceResult], gemm: [GemmResult],
                 peak1: Double, threads: Int, hasAVX512: Bool) -> Table {
    var t = Table("Targets", ["target", "case", "measured", "goal", "met"], leftColumns: 2)
    func yes(_ ok: Bool) -> String { ok ? "yes" : "NO" }

    // 1. Fused kernels at n >= 1e7 reach 90% of the in-place axpy bandwidth. Judged on the median
    // of the per-round pairs (kernel and axpy both timed in the same round, seconds apart); the
    // ratio of the two best batches is shown beside it: it compares two maxima taken at different
    // moments, and one lucky axpy batch (seen: 61 GB/s at 1e7 in a run where 4e7 gave 43) moves it
    // by a third.
    for id in ["mg_euler", "cfg_euler", "apg"] {
        for k in kernels where k.id == id && k.n >= 9_000_000 {
            guard let ref = refs.first(where: { $0.n == k.n }) else { continue }
            let pct = 100 * k.gbs / ref.axpyGBs
            let paired = 100 * k.pairedAxpy
            // APG: also its traffic alone (fb_apg_traffic), the floor of its access pattern.
            let floor = id == "apg" ? "; apg's traffic alone: \(fmt(100 * ref.apgTrafficPaired, 0))%" : ""
            t.add(["fused kernel >= 90% of axpy GB/s (n >= 1e7, \(threads)T)", "\(id) n=\(fmtCount(k.n))",
                   "paired median \(fmt(paired, 0))%; best batches \(fmt(pct, 0))% (\(fmt(k.gbs)) vs \(fmt(ref.axpyGBs)) GB/s)\(floor)",
                   ">= 90%", yes(paired >= 90)])
        }
    }
    // 2. MG+Euler at n = 1e5, one thread, vs plain Swift loops.
    if let k = kernels.filter({ $0.id == "mg_euler" }).min(by: { abs($0.n - 100_000) < abs($1.n - 100_000) }),
       k.n >= 50_000 && k.n <= 200_000 {
        let x = k.tSwift / k.t1
        t.add(["MG+Euler vs plain Swift loops (1 thread)", "mg_euler n=\(fmtCount(k.n))", "\(fmt(x, 2))x",
               ">= 2.5x", yes(x >= 2.5)])
    }
    // 3. Every kernel >= 4x NumPy at every size >= 1e5. Judged on the paired median, as above
    // (NumPy's batch timed in the same round as the kernel's). Each miss also shows the ratio a
    // kernel would show if it moved its compulsory bytes at its yardstick's GB/s of the same round
    // (the axpy's; the read-only dot's for kernels that write none of their operands).
    let vsNumpy = kernels.filter { $0.n >= 90_000 && $0.numpyX.isFinite }
    if let worst = vsNumpy.min(by: { $0.numpyX < $1.numpyX }) {
        let misses = vsNumpy.filter { $0.numpyX < 4 }
        t.add(["every kernel >= 4x NumPy (n >= 1e5, \(threads)T)", "worst: \(worst.id) n=\(fmtCount(worst.n))",
               "paired median \(fmt(worst.numpyX, 1))x; \(misses.count) of \(vsNumpy.count) below",
               ">= 4x", yes(misses.isEmpty)])
        for m in misses {
            let yardstick = m.readOnly ? "read-only dot" : "axpy"
            t.add(["", "\(m.id) n=\(fmtCount(m.n))",
                   "paired median \(fmt(m.numpyX, 1))x; best batches \(fmt(m.tNumpy / m.t, 1))x; at the \(yardstick)'s GB/s: \(fmt(m.numpyXAtYardstick, 1))x",
                   ">= 4x", "NO"])
        }
    }
    // 4./5. Dense overhead and GEMM vs peak at M=4096, K=N=512.
    for r in gemm where r.m == 4096 && r.k == 512 && r.n == 512 {
        let ratio = r.dense / r.gemm
        t.add(["dense adds <= 10% over GEMM (4096x512x512)", "\(r.backend), \(r.threads) thr",
               "\(ratio >= 1 ? "+" : "")\(fmt(100 * (ratio - 1), 1))%", "<= +10%", yes(ratio <= 1.10)])
    }
    for r in gemm where r.m == 4096 && r.k == 512 && r.n == 512 && r.threads == 1 {
        let pct = 100 * r.gflops / peak1
        let note = hasAVX512 ? "" : " (AVX2 CPU: goal applies to AVX-512)"
        t.add(["GEMM >= 80% of FMA peak, 1 thread" + note, "\(r.backend) 4096x512x512",
               "\(fmt(pct, 1))% (\(fmt(r.gflops)) of \(fmt(peak1)) GFLOP/s)", ">= 80%",
               hasAVX512 ? yes(pct >= 80) : "n/a (\(yes(pct >= 80)))"])
    }
    return t
}
