// A separate package that depends on FlowGuide by version and runs a kernel with 2 threads.
import FlowGuide

do {
    try KernelRuntime.setThreadCount(2)
    var x = try Matrix([[1, 2, 3], [4, 5, 6]])
    let v = try Matrix([[1, 1, 1], [1, 1, 1]])
    var state = MomentumState(rows: 2, columns: 3)
    try Kernels.momentumEulerStep(&x, velocity: v, state: &state, stepSize: -0.5)
    guard x[0, 0] == 0.5, x[1, 2] == 5.5, KernelRuntime.threadCount == 2, KernelRuntime.hasOpenMP else {
        print("FAIL: x = \(x.scalars), threads = \(KernelRuntime.threadCount)")
        exit(1)
    }
    print("FlowGuide \(KernelRuntime.version) by version: MG step ok with \(KernelRuntime.threadCount) OpenMP threads, simd \(KernelRuntime.simdPath), blas \(KernelRuntime.blas)")
} catch {
    print("FAIL: \(error)")
    exit(1)
}

#if canImport(Glibc)
import Glibc
#endif
