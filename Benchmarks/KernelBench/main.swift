// flowguide-bench: FlowGuide's kernel benchmarks (build with -c release).
//
//   swift build -c release --product flowguide-bench
//   .build/release/flowguide-bench [--quick] [--numpy-worker Benchmarks/numpy_bench.py] [--markdown out.md]
//
// See Benchmarks/README.md for the methodology and the meaning of every column.

import CFlowBench
import CFlowKernels
import FlowGuide
import Foundation

if let i = CommandLine.arguments.firstIndex(of: "--alloc-probe") {
    guard i + 1 < CommandLine.arguments.count, let steps = Int(CommandLine.arguments[i + 1]), steps >= 1 else {
        fail("--alloc-probe needs a step count")
    }
    runAllocationProbe(steps: steps)
    exit(0)
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let threads = options.threads ?? Int(fk_get_num_threads())
setThreads(threads)
let simd = String(cString: fk_simd_path())
let refSimd = String(cString: fb_set_simd_path(simd))

func readFirstLine(_ path: String, prefix: String = "") -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "?" }
    for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
        return prefix.isEmpty ? String(line) : String(line.split(separator: ":", maxSplits: 1).last ?? "")
            .trimmingCharacters(in: .whitespaces)
    }
    return "?"
}

/// Unbuffered stdout, so tables and the stderr progress lines come out in order.
func emit(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }

let env = ProcessInfo.processInfo.environment
let cpuFlags = readFirstLine("/proc/cpuinfo", prefix: "flags")
let hasAVX512 = cpuFlags.split(separator: " ").contains("avx512f")
let loadBefore = readFirstLine("/proc/loadavg")

var info = Table("Run", ["item", "value"], leftColumns: 2)
info.add(["FlowGuide kernels", "fk_version \(String(cString: fk_version())), OpenMP \(fk_has_openmp() != 0 ? "yes" : "no")"])
info.add(["fk_simd_path", simd + (env["FLOWGUIDE_SIMD"].map { " (FLOWGUIDE_SIMD=\($0))" } ?? "")])
info.add(["reference loops SIMD", refSimd])
info.add(["threads", "\(threads) (fk_get_num_threads after fk_set_num_threads; OMP_NUM_THREADS=\(env["OMP_NUM_THREADS"] ?? "unset"))"])
info.add(["CPU", readFirstLine("/proc/cpuinfo", prefix: "model name") + ", \(ProcessInfo.processInfo.activeProcessorCount) cpus, AVX-512: \(hasAVX512 ? "yes" : "no")"])
info.add(["OPENBLAS_CORETYPE", env["OPENBLAS_CORETYPE"] ?? "unset (left as found)"])
info.add(["default BLAS", "\(String(cString: fk_blas_name())) \(String(cString: fk_blas_kernel())) \(String(cString: fk_blas_path()))"])
info.add(["timing", "best of \(options.rounds) batches of >= \(options.minTime) s per item (GEMM: >= 1 call per batch), items interleaved per round\(options.quick ? " (--quick)" : "")"])
info.add(["load average at start", loadBefore])
// Started before the first table, so a missing python3 or NumPy stops the run at once.
let numpy = options.runKernels ? options.numpyWorker.map { NumpyWorker(script: $0) } : nil
if let numpy {
    info.add(["NumPy", "\(numpy.about) (worker: python3 \(numpy.script) --serve), cols=\(options.cols)"])
}
emit(info.text)

var tables: [Table] = []
var kernelResults: [KernelResult] = []
var refResults: [ReferenceResult] = []
var gemmResults: [GemmResult] = []
var peak1 = Double.nan, peakT = Double.nan

if options.runKernels {
    (kernelResults, refResults) = runKernelSection(options, threads: threads, numpy: numpy)
    numpy?.close()  // the worker's arrays are not needed by the later sections
    let table = kernelTable(kernelResults, refResults, threads: threads)
    emit(table.text)
    tables.append(table)
}

if options.runGemm {
    let peakTime = options.quick ? 0.05 : 0.2
    peak1 = fb_fma_peak_gflops(1, peakTime, 3)
    peakT = threads == 1 ? peak1 : fb_fma_peak_gflops(Int32(threads), peakTime, 3)
    progress("FMA peak: \(fmt(peak1)) GFLOP/s (1 thread), \(fmt(peakT)) (\(threads) threads)")
    let (infos, results) = runGemmSection(options, threads: threads)
    gemmResults = results
    // The peak is a capability: measure it again after the GEMMs and keep the better value, so a
    // burst of load from other processes during one measurement does not understate it.
    peak1 = max(peak1, fb_fma_peak_gflops(1, peakTime, 3))
    peakT = threads == 1 ? peak1 : max(peakT, fb_fma_peak_gflops(Int32(threads), peakTime, 3))
    progress("FMA peak (best of before/after): \(fmt(peak1)) GFLOP/s (1 thread), \(fmt(peakT)) (\(threads) threads)")
    for table in gemmTables(infos, results, peak1: peak1, peakT: peakT, threads: threads) {
        emit(table.text)
        tables.append(table)
    }
}

if options.runSampling {
    for table in runSamplingSection(options, threads: threads) {
        emit(table.text)
        tables.append(table)
    }
}

if options.runMLP {
    let peakTime = options.quick ? 0.05 : 0.2
    let peak = fb_fma_peak_gflops(Int32(threads), peakTime, 3)
    let r = runMLPSampling(batch: 4096, steps: 32, rounds: options.quick ? 2 : 5)
    var table = Table("MLP workload (issue 5), \(threads) threads", ["workload", "value", "GFLOP/s", "of FMA peak"],
                      leftColumns: 1)
    table.add(["sampling: 32 Euler + MG, batch 4096 (samples/s)", fmt(r.samplesPerSecond, 0), fmt(r.gflops),
               fmt(100 * r.gflops / peak) + "%"])
    let trainSeconds = runMLPTraining(batch: 4096, steps: options.quick ? 2 : 5, rounds: options.quick ? 2 : 5)
    let trainGflops = 3 * mlpForwardFlopsPerRow(mlpBenchArchitecture) * 4096 / trainSeconds / 1e9
    table.add(["training step, batch 4096, AdamW + CWD (ms)", fmt(1000 * trainSeconds), fmt(trainGflops),
               fmt(100 * trainGflops / peak) + "%"])
    table.notes = ["D 64, 10 classes, width 512, 1 residual block (3 hidden layers of 512); GFLOP/s counts " +
                   "2·in·out per dense layer per row per step (training: 3× the forward); FMA peak \(fmt(peak)) GFLOP/s (\(threads) threads, " +
                   "same program). Best of the timed runs."]
    emit(table.text)
    tables.append(table)
    if let path = options.mlpJSONPath {
        let json = """
            {"flowguide": {"sample_samples_per_s": \(r.samplesPerSecond), "sample_gflops": \(r.gflops), \
            "train_ms": \(1000 * trainSeconds), "train_gflops": \(trainGflops), \
            "fma_peak_gflops": \(peak), "threads": \(threads), "blas": "\(String(cString: fk_blas_name()))"}}
            """
        do { try json.write(toFile: path, atomically: true, encoding: .utf8) } catch { fail("cannot write \(path): \(error)") }
    }
}

if options.runOptimizers {
    for table in [runOptimizerKernelTable(options, threads: threads), runOptimizerStepTable(options, threads: threads)] {
        emit(table.text)
        tables.append(table)
    }
}

let targets = targetTable(kernels: kernelResults, refs: refResults, gemm: gemmResults, peak1: peak1,
                          threads: threads, hasAVX512: hasAVX512)
if !targets.rows.isEmpty {  // none for --optimizers-only, --mlp-only or --sampling-only
    emit(targets.text)
    tables.append(targets)
}
info.add(["load average at end", readFirstLine("/proc/loadavg")])
emit("load average at end: \(readFirstLine("/proc/loadavg"))\n")

if let path = options.markdownPath {
    let md = ([info] + tables).map(\.markdown).joined()
    do { try md.write(toFile: path, atomically: true, encoding: .utf8) } catch {
        fail("cannot write \(path): \(error)")
    }
    progress("wrote \(path)")
}
