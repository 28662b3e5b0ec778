// A separate package that depends on FlowGuide by version and runs a kernel with 2 OpenMP
// threads: a small MG step checked by hand, then a 1024 x 1024 one (large enough to run
// parallel) checked bitwise against the same step on 1 thread.
import FlowGuide

#if canImport(Glibc)
import Glibc
#endif

func mgStep(threads: Int, x: Matrix, v: Matrix) throws -> Matrix {
    try KernelRuntime.setThreadCount(threads)
    var x = x
    var state = MomentumState(rows: x.rows, columns: x.columns)
    for _ in 0..<3 { try Kernels.momentumEulerStep(&x, velocity: v, state: &state, stepSize: -0.25) }
    return x
}

do {
    let small = try mgStep(threads: 2, x: try Matrix([[1, 2, 3], [4, 5, 6]]), v: try Matrix([[1, 1, 1], [1, 1, 1]]))
    let x = try NoiseGenerator(seed: 1).normal(rows: 1024, columns: 1024)
    let v = try NoiseGenerator(seed: 2).normal(rows: 1024, columns: 1024)
    let two = try mgStep(threads: 2, x: x, v: v)
    let threads = KernelRuntime.threadCount
    let one = try mgStep(threads: 1, x: x, v: v)
    guard small[0, 0] == 0.25, small[1, 2] == 5.25, threads == 2, KernelRuntime.hasOpenMP, one == two else {
        print("FAIL: small = \(small.scalars), threads = \(threads), 1 vs 2 threads equal: \(one == two)")
        exit(1)
    }
    print("FlowGuide \(KernelRuntime.version) by version: MG steps ok with \(threads) OpenMP threads (same bits as 1), simd \(KernelRuntime.simdPath), blas \(KernelRuntime.blas)")
} catch {
    print("FAIL: \(error)")
    exit(1)
}
