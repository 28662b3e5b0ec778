// Command-line flags of flowguide-bench, parsed by hand (no dependencies).

import Foundation

struct Options {
    var quick = false
    /// Requested element counts; each becomes [B, cols] with B = (n + cols/2) / cols.
    var sizes: [Int] = [10_000, 100_000, 1_000_000, 10_000_000, 40_000_000]
    var cols = 1024
    /// Thread count of the kernels (nil: the library's default, OMP_NUM_THREADS or all cores).
    var threads: Int?
    var runKernels = true
    var runGemm = true
    var runSampling = true
    var runMLP = false
    var runOptimizers = false
    var mlpJSONPath: String?
    /// Samples per batch in the sampling section.
    var samplingBatch = 4096
    var markdownPath: String?
    var numpyWorker: String?
    var backends = ["openblas", "blis", "reference", "builtin"]
    /// Seconds per timed batch, and batches per item (the best batch is reported). Many short
    /// batches rather than a few long ones: on a shared 2-vCPU VM one preemption stalls a whole
    /// parallel region, and a short batch that escaped it is the cleaner measurement.
    var minTime = 0.02
    var rounds = 10
    var explicitTiming = false

    static let usage = """
        usage: flowguide-bench [options]
          --quick             short batches, fewer rounds, small GEMM shapes only for slow BLAS
          --sizes LIST        element counts, e.g. 1e4,1e5,1e6,1e7,4e7 (default)
          --cols D            row length of the [B, D] kernel operands (default 1024)
          --threads N         kernel/BLAS thread count (default: OMP_NUM_THREADS or all cores)
          --kernels-only      skip the GEMM section
          --gemm-only         skip the elementwise-kernel section
          --sampling-only     only the sampling-throughput section (MLP models, batch 4096)
          --no-sampling       skip the sampling-throughput section
          --sampling-batch N  samples per batch in the sampling section (default 4096)
          --alloc-probe STEPS one sampling run only, for counting allocations under valgrind
          --mlp-only          only the issue-5 MLP workload (D 64, 3×512, batch 4096, 32 Euler + MG)
          --optimizers-only   only the optimizer section (kernel GB/s vs axpy at n 1e7, step cost by optimizer)
          --mlp-json FILE     write the MLP workload's results as JSON (for Benchmarks/mlp_bench.py)
          --backends LIST     BLAS backends for the GEMM section (default openblas,blis,reference,builtin)
          --numpy-worker PY   time NumPy side by side (x-NumPy columns): PY is Benchmarks/numpy_bench.py,
                              run as a worker with python3
          --markdown FILE     also write the tables as Markdown
          --min-time S        seconds per timed batch (default 0.02; --quick 0.01)
          --rounds R          timed batches per item, best reported (default 10; --quick 4)
        """

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--quick": o.quick = true
            case "--sizes": o.sizes = value().split(separator: ",").map { parseCount(String($0)) }
            case "--cols": o.cols = parseCount(value())
            case "--threads": o.threads = parseCount(value())
            case "--kernels-only": o.runGemm = false; o.runSampling = false
            case "--gemm-only": o.runKernels = false; o.runSampling = false
            case "--sampling-only": o.runKernels = false; o.runGemm = false
            case "--no-sampling": o.runSampling = false
            case "--mlp-only": o.runKernels = false; o.runGemm = false; o.runSampling = false; o.runMLP = true
            case "--optimizers-only":
                o.runKernels = false; o.runGemm = false; o.runSampling = false; o.runOptimizers = true
            case "--mlp-json": o.mlpJSONPath = value()
            case "--sampling-batch": o.samplingBatch = parseCount(value())
            case "--backends": o.backends = value().split(separator: ",").map(String.init)
            case "--numpy-worker": o.numpyWorker = value()
            case "--markdown": o.markdownPath = value()
            case "--min-time":
                guard let t = Double(value()), t > 0 else { fail("--min-time needs seconds > 0") }
                o.minTime = t; o.explicitTiming = true
            case "--rounds": o.rounds = max(1, parseCount(value())); o.explicitTiming = true
            case "-h", "--help": print(usage); exit(0)
            default: fail("unknown option \(args[i])\n\(usage)")
            }
            i += 1
        }
        if o.quick && !o.explicitTiming { o.minTime = 0.01; o.rounds = 4 }
        if o.cols < 1 { fail("--cols must be >= 1") }
        return o
    }
}

/// "1e7", "4e7" or "100000".
func parseCount(_ s: String) -> Int {
    guard let d = Double(s), d >= 1, d < 1e12 else { fail("not a count: \(s)") }
    return Int(d.rounded())
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("flowguide-bench: " + message + "\n").utf8))
    exit(2)
}
