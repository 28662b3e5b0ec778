import Testing
@testable import FlowGuide

@Suite(.serialized) struct RuntimeTests {
    @Test func threadCountRoundTrips() throws {
        let before = KernelRuntime.threadCount
        try KernelRuntime.setThreadCount(1)
        #expect(KernelRuntime.threadCount == 1)
        try KernelRuntime.setThreadCount(2)
        #expect(KernelRuntime.threadCount == (KernelRuntime.hasOpenMP ? 2 : 1))
        try KernelRuntime.setThreadCount(before)
    }

    @Test(arguments: [0, -3])
    func rejectsBadThreadCounts(_ n: Int) {
        #expect(throws: KernelError.self) { try KernelRuntime.setThreadCount(n) }
    }

    @Test func reportsTheSIMDPath() throws {
        #expect(["avx512", "avx2", "baseline", "reference"].contains(KernelRuntime.simdPath))
        do {
            try KernelRuntime.setSIMDPath("no-such-path")
            Issue.record("an unknown SIMD path was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
        }
        try KernelRuntime.setSIMDPath("baseline")
        #expect(KernelRuntime.simdPath == "baseline")
        try KernelRuntime.setSIMDPath("auto")
    }

    @Test func reportsAndSwitchesTheBLASBackend() throws {
        let info = KernelRuntime.blas
        #expect(["openblas", "blis", "reference", "builtin", "unknown"].contains(info.family))
        do {
            try KernelRuntime.loadBLAS(.path("/nonexistent/libnothing.so"))
            Issue.record("a missing BLAS library was accepted")
        } catch {
            #expect(error.code == .blasUnavailable)
        }
        try KernelRuntime.loadBLAS(.builtin)
        #expect(KernelRuntime.blas.family == "builtin")
        try KernelRuntime.loadBLAS(.system)
        #expect(KernelRuntime.blas.family != "builtin")
    }
}
