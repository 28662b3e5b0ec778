// GEMM (fk_sgemm) and the dense layer (fk_dense_forward: GEMM + fused bias/SiLU) on MLP shapes,
// per BLAS backend, against the FMA peak measured by this program.

import CFlowBench
import CFlowKernels

struct BackendInfo {
    let requested: String
    let status: String
    let name: String
    let path: String
    let kernel: String
}

struct GemmResult {
    let backend: String
    let m: Int, k: Int, n: Int
    let threads: Int
    var gemm = Double.nan, dense = Double.nan, biasAct = Double.nan
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    var gflops: Double { flops / gemm / 1e9 }
}

/// The slow backends (netlib reference, builtin) get fewer, shorter runs.
private func isSlow(_ backend: String) -> Bool { backend == "reference" || backend == "builtin" }

func runGemmSection(_ o: Options, threads: Int) -> (infos: [BackendInfo], results: [GemmResult]) {
    let shapes: [(Int, Int, Int)] = [256, 4096].flatMap { m in
        [256, 512].flatMap { k in [256, 512].map { n in (m, k, n) } }
    }
    let maxM = 4096, maxK = 512, maxN = 512
    let x = FloatBuffer(count: maxM * maxK), w = FloatBuffer(count: maxN * maxK)
    let bias = FloatBuffer(count: maxN), y = FloatBuffer(count: maxM * maxN)
    x.fillUniform(seed: 11)
    w.fillUniform(seed: 12, -0.05, 0.05)
    bias.fillUniform(seed: 13, -0.1, 0.1)
    y.fill(0)
    let threadCounts = threads == 1 ? [1] : [1, threads]

    var infos: [BackendInfo] = []
    var results: [GemmResult] = []
    for backend in o.backends {
        let s = fk_blas_load(backend)
        let info = BackendInfo(requested: backend, status: String(cString: fk_status_string(s)),
                               name: String(cString: fk_blas_name()), path: String(cString: fk_blas_path()),
                               kernel: String(cString: fk_blas_kernel()))
        infos.append(info)
        guard s == FK_OK else { progress("BLAS \(backend): \(info.status), skipped"); continue }
        let t0 = fb_now()
        for (m, k, n) in shapes {
            if o.quick && isSlow(backend) && m > 256 { continue }
            let (M, K, N) = (Int64(m), Int64(k), Int64(n))
            var items: [TimedItem] = []
            for t in threadCounts {
                items.append(TimedItem("gemm@\(t)", threads: t) {
                    _ = fk_sgemm(Int32(FK_NO_TRANS), Int32(FK_TRANS), M, N, K, 1, x.p, K, w.p, K, 0, y.p, N)
                })
                items.append(TimedItem("dense@\(t)", threads: t) {
                    _ = fk_dense_forward(M, K, N, x.p, K, w.p, K, bias.p, FK_ACT_SILU, y.p, N, nil)
                })
                items.append(TimedItem("bias@\(t)", threads: t) {
                    _ = fk_bias_activation(M, N, y.p, N, bias.p, FK_ACT_SILU, nil)
                })
            }
            let slow = isSlow(backend)
            measure(items, minTime: slow ? min(o.minTime, 0.05) : o.minTime, rounds: slow ? 2 : o.rounds)
            for t in threadCounts {
                var r = GemmResult(backend: backend, m: m, k: k, n: n, threads: t)
                r.gemm = items.first { $0.key == "gemm@\(t)" }!.best
                r.dense = items.first { $0.key == "dense@\(t)" }!.best
                r.biasAct = items.first { $0.key == "bias@\(t)" }!.best
                results.append(r)
            }
        }
        progress("GEMM \(backend): \(fmt(fb_now() - t0, 1)) s")
    }
    // Later sections (sampling, MLP) run on the default backend again, not on the last one tried.
    if fk_blas_load(nil) != FK_OK { progress("could not reload the default BLAS") }
    return (infos, results)
}

func gemmTables(_ infos: [BackendInfo], _ results: [GemmResult], peak1: Double, peakT: Double,
                threads: Int) -> [Table] {
    var backends = Table("BLAS backends (fk_blas_load, then fk_blas_name / fk_blas_path / fk_blas_kernel)",
                         ["requested", "status", "fk_blas_name", "fk_blas_kernel", "fk_blas_path"], leftColumns: 5)
    for i in infos { backends.add([i.requested, i.status, i.name, i.kernel.isEmpty ? "—" : i.kernel, i.path]) }

    var table = Table("GEMM y = x·Wᵀ (fk_sgemm, NoTrans/Trans) and dense layer y = SiLU(x·Wᵀ + b) (fk_dense_forward)",
                      ["backend", "M", "K", "N", "threads", "GEMM ms", "GFLOP/s", "% FMA peak",
                       "dense ms", "dense/GEMM", "bias+SiLU ms"], leftColumns: 1)
    for r in results {
        let peak = r.threads == 1 ? peak1 : peakT
        table.add([r.backend, "\(r.m)", "\(r.k)", "\(r.n)", "\(r.threads)", fmtAuto(r.gemm * 1e3),
                   fmt(r.gflops), fmt(100 * r.gflops / peak), fmtAuto(r.dense * 1e3),
                   fmt(r.dense / r.gemm, 3), fmtAuto(r.biasAct * 1e3)])
    }
    table.notes = [
        "GFLOP/s = 2·M·N·K / GEMM time. % FMA peak: against the FMA peak measured by this program with the same thread count (best of a measurement before and after the GEMMs; \(fmt(peak1)) GFLOP/s on 1 thread, \(fmt(peakT)) on \(threads), \(String(cString: fb_fma_isa()))).",
        "dense/GEMM: fk_dense_forward time over bare fk_sgemm time (same shape, same threads); bias+SiLU ms: fk_bias_activation alone.",
        "reference and builtin backends: 2 short rounds (slow); netlib reference BLAS is single-threaded.",
    ]
    return [backends, table]
}
