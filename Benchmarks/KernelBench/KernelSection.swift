// Elementwise / row kernels vs in-place axpy, STREAM triad, plain Swift loops and NumPy.

import CFlowBench
import CFlowKernels
import Foundation

struct KernelResult {
    let id: String
    let n: Int
    let arrays: Int
    let readOnly: Bool          // KernelCase.readOnly: its floor is fb_dot, not the axpy
    var t: Double = .nan        // seconds per call, `threads` threads (best batch)
    /// Median over rounds of (this kernel's GB/s / the axpy's GB/s) at `threads` threads, both
    /// timed in the same round (seconds apart): host bandwidth drift and one lucky axpy batch cancel.
    var pairedAxpy: Double = .nan
    var t1: Double = .nan       // seconds per call, 1 thread
    var tSwift: Double = .nan   // plain Swift loops, 1 thread
    var tNumpy: Double = .nan   // NumPy twin (numpy_bench.py worker), best batch
    /// Median over rounds of (NumPy time / kernel time), both timed in the same round, with the
    /// kernel on `threads` threads (numpyX) and on one thread (numpyX1).
    var numpyX: Double = .nan, numpyX1: Double = .nan
    /// NumPy time / the time of this kernel's bytes at its yardstick's GB/s (the axpy's, or the
    /// read-only dot's for read-only kernels; paired by round): the ratio a kernel running at
    /// that yardstick's rate would show.
    var numpyXAtYardstick: Double = .nan
    var check = "—"
    var gbs: Double { Double(arrays * 4 * n) / t / 1e9 }
    var gbs1: Double { Double(arrays * 4 * n) / t1 / 1e9 }
}

struct ReferenceResult {
    let n: Int
    var axpy = Double.nan, axpy1 = Double.nan, triad = Double.nan, triad1 = Double.nan
    var dot = Double.nan, dot1 = Double.nan  // fb_dot, the read-only yardstick
    /// fb_apg_traffic (APG's streams, no math): seconds per call, and its paired GB/s ratio to the axpy.
    var apgTraffic = Double.nan, apgTraffic1 = Double.nan, apgTrafficPaired = Double.nan
    /// NumPy's axpy and triad against ours, paired by round as in KernelResult.numpyX.
    var numpyAxpyX = Double.nan, numpyAxpyX1 = Double.nan, numpyTriadX = Double.nan, numpyTriadX1 = Double.nan
    var axpyGBs: Double { 12 * Double(n) / axpy / 1e9 }
    var axpy1GBs: Double { 12 * Double(n) / axpy1 / 1e9 }
}

/// fb_dot's results (a timed call needs somewhere to put them).
nonisolated(unsafe) var dotSink = 0.0

func runKernelSection(_ o: Options, threads: Int, numpy: NumpyWorker?)
    -> (kernels: [KernelResult], refs: [ReferenceResult])
{
    var kernels: [KernelResult] = []
    var refs: [ReferenceResult] = []
    let threadCounts = threads == 1 ? [1] : [threads, 1]
    for requested in o.sizes {
        let rows = max(1, (requested + o.cols / 2) / o.cols)
        let t0 = fb_now()
        let ws = Workspace(rows: rows, cols: o.cols)
        let sw = SwiftWork(from: ws)
        let n = ws.n
        let cases = kernelCases(ws, sw)

        // Correctness first: one C call and one Swift call from the same state must agree.
        var checks: [String: String] = [:]
        var failed: Set<String> = []
        for k in cases {
            ws.reset()
            sw.load(from: ws)
            setThreads(threads)
            let s = k.runC()
            if s != FK_OK {
                checks[k.id] = String(cString: fk_status_string(s))
                failed.insert(k.id)
                continue
            }
            guard let swift = k.runSwift else { checks[k.id] = "—"; continue }
            swift()
            var worst = 0.0
            for op in k.outputs { worst = max(worst, relErr(ws.buffers[op]!.array, sw.array(op))) }
            if k.id == "row_dot" { worst = relErr(ws.rowOut.array, sw.rowA) }
            checks[k.id] = worst <= 1e-3 ? "ok" : "DIFF \(fmtAuto(worst))"
        }
        ws.reset()
        sw.load(from: ws)

        let x = ws[.x], c = ws[.c], u = ws[.u], prev = ws[.prev], g = ws[.g]
        var items: [TimedItem] = []
        for t in threadCounts {
            items.append(TimedItem("axpy@\(t)", threads: t) { fb_axpy(Int64(n), 1e-7, c, x) })
            items.append(TimedItem("triad@\(t)", threads: t) { fb_triad(Int64(n), 0.5, c, u, g) })
            items.append(TimedItem("dot@\(t)", threads: t) { dotSink += fb_dot(Int64(n), c, u) })
            items.append(TimedItem("apgtraffic@\(t)", threads: t) { fb_apg_traffic(Int64(n), -0.5, x, c, u, prev, g) })
            for k in cases where !failed.contains(k.id) {
                let run = k.runC
                items.append(TimedItem("\(k.id)@\(t)", threads: t) { _ = run() })
            }
        }
        if let numpy {  // the NumPy twins, one batch per round in the worker process
            let twins = numpy.prepare(rows: rows, cols: o.cols, minTime: o.minTime)
            for id in ["axpy", "triad"] + cases.filter({ !failed.contains($0.id) }).map(\.id) where twins.contains(id) {
                items.append(TimedItem("\(id)@numpy") { numpy.time(id) })
            }
        }
        for k in cases { if let s = k.runSwift { items.append(TimedItem("\(k.id)@swift", threads: 1, body: s)) } }
        measure(items, minTime: o.minTime, rounds: o.rounds)

        func best(_ key: String) -> Double { items.first { $0.key == key }?.best ?? .nan }
        /// Median over rounds of time(num) / time(den), both timed in the same round.
        func paired(_ num: String, _ den: String) -> Double {
            guard let a = items.first(where: { $0.key == num }),
                  let b = items.first(where: { $0.key == den }) else { return .nan }
            let s = zip(a.seconds, b.seconds).map { $0 / $1 }.sorted()
            return s.isEmpty ? .nan : s[s.count / 2]
        }
        var ref = ReferenceResult(n: n)
        ref.axpy = best("axpy@\(threads)"); ref.axpy1 = best("axpy@1")
        ref.triad = best("triad@\(threads)"); ref.triad1 = best("triad@1")
        ref.dot = best("dot@\(threads)"); ref.dot1 = best("dot@1")
        ref.apgTraffic = best("apgtraffic@\(threads)"); ref.apgTraffic1 = best("apgtraffic@1")
        // GB/s ratio = (24 / t_traffic) / (12 / t_axpy), round by round.
        ref.apgTrafficPaired = paired("axpy@\(threads)", "apgtraffic@\(threads)") * 24 / 12
        ref.numpyAxpyX = paired("axpy@numpy", "axpy@\(threads)"); ref.numpyAxpyX1 = paired("axpy@numpy", "axpy@1")
        ref.numpyTriadX = paired("triad@numpy", "triad@\(threads)"); ref.numpyTriadX1 = paired("triad@numpy", "triad@1")
        refs.append(ref)
        for k in cases {
            var r = KernelResult(id: k.id, n: n, arrays: k.arrays, readOnly: k.readOnly)
            r.t = best("\(k.id)@\(threads)")
            // GB/s ratio = (arrays·4 / t_kernel) / (12 / t_axpy), round by round.
            r.pairedAxpy = paired("axpy@\(threads)", "\(k.id)@\(threads)") * Double(k.arrays) / 3
            r.t1 = best("\(k.id)@1")
            r.tSwift = best("\(k.id)@swift")
            r.tNumpy = best("\(k.id)@numpy")
            r.numpyX = paired("\(k.id)@numpy", "\(k.id)@\(threads)")
            r.numpyX1 = paired("\(k.id)@numpy", "\(k.id)@1")
            // NumPy's twin against a kernel with the same bytes moving at its yardstick's rate.
            r.numpyXAtYardstick = r.readOnly
                ? paired("\(k.id)@numpy", "dot@\(threads)") * 2 / Double(k.arrays)
                : paired("\(k.id)@numpy", "axpy@\(threads)") * 3 / Double(k.arrays)
            r.check = checks[k.id] ?? "—"
            kernels.append(r)
        }
        progress("kernels n = \(fmtCount(n)) ([\(rows), \(o.cols)]): \(fmt(fb_now() - t0, 1)) s")
    }
    return (kernels, refs)
}

func kernelTable(_ kernels: [KernelResult], _ refs: [ReferenceResult], threads: Int) -> Table {
    let T = "\(threads)T"
    var table = Table("Elementwise and row kernels, [B, D] float32 (\(T) = \(threads) threads, 1T = one thread)",
                      ["n", "kernel", "B/elem", "µs \(T)", "GB/s \(T)", "% axpy \(T)", "µs 1T", "GB/s 1T",
                       "% axpy 1T", "x Swift 1T", "x NumPy \(T)", "x NumPy 1T", "check"], leftColumns: 2)
    for ref in refs {
        let n = ref.n
        let axpyGB1 = ref.axpy1GBs, axpyGB = ref.axpyGBs
        /// One row: bytes per element, seconds per call on `threads` and on one thread, and the
        /// ratios against Swift and NumPy (NaN prints as "—").
        func row(_ name: String, bytes: Int, _ t: Double, _ t1: Double, swift: Double = .nan,
                 numpy: Double = .nan, numpy1: Double = .nan, check: String = "") -> [String] {
            let gb = Double(bytes * n) / t / 1e9, gb1 = Double(bytes * n) / t1 / 1e9
            return [fmtCount(n), name, "\(bytes)", fmtAuto(t * 1e6), fmt(gb), fmt(100 * gb / axpyGB, 0),
                    fmtAuto(t1 * 1e6), fmt(gb1), fmt(100 * gb1 / axpyGB1, 0), fmt(swift, 1),
                    fmt(numpy, 1), fmt(numpy1, 1), check]
        }
        table.add(row("axpy (ref)", bytes: 12, ref.axpy, ref.axpy1, numpy: ref.numpyAxpyX, numpy1: ref.numpyAxpyX1))
        table.add(row("triad (ref)", bytes: 12, ref.triad, ref.triad1, numpy: ref.numpyTriadX, numpy1: ref.numpyTriadX1))
        table.add(row("dot (ref)", bytes: 8, ref.dot, ref.dot1))
        table.add(row("apg traffic (ref)", bytes: 24, ref.apgTraffic, ref.apgTraffic1))
        for k in kernels where k.n == n {
            table.add(row(k.id, bytes: k.arrays * 4, k.t, k.t1, swift: k.tSwift / k.t1, numpy: k.numpyX,
                          numpy1: k.numpyX1, check: k.check))
        }
    }
    table.notes = [
        "B/elem: compulsory bytes per element (each array read or written once, 4 bytes; no write-allocate); GB/s = B/elem·n / time (best of the rounds).",
        "% axpy: GB/s relative to the in-place axpy y += a·x (12 B/elem) measured at the same size and thread count, interleaved with the kernels.",
        "dot (ref): sum a·b over two arrays, the read-only yardstick (8 B/elem, nothing written).",
        "apg traffic (ref): apg's streams without its math, one pass (prev = c - u + s·prev; g = x + prev, with non-temporal stores where apg uses them: n >= 4Mi): the floor of apg's access pattern.",
        "x Swift 1T: plain unfused Swift loops over [Float] (one loop per line of math, one thread) time / kernel time on one thread.",
        "x NumPy: NumPy time / kernel time (numpy_bench.py as a worker process: same shapes, single-threaded elementwise ops), the median over rounds of the ratio of two batches timed in the same round. check: kernel vs the Swift loops, max-norm relative error <= 1e-3.",
    ]
    return table
}

func progress(_ s: String) {
    FileHandle.standardError.write(Data(("  [bench] " + s + "\n").utf8))
}
