// 64-byte aligned float buffers for the C calls, and the operands of one problem size.

import Foundation

/// An aligned, uninitialized-then-filled float buffer that lives as long as the object.
final class FloatBuffer {
    let p: UnsafeMutablePointer<Float>
    let count: Int

    /// Buffers of 4 MiB and more are 2 MiB-aligned and advised for transparent huge pages, as
    /// NumPy (>= 1.19 on Linux) does for its own arrays, so both sides of the NumPy comparison
    /// stream through the same kind of pages.
    init(count: Int) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let huge = bytes >= 4 << 20
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, huge ? 2 << 20 : 64, bytes) == 0, let raw else {
            fail("out of memory allocating \(count) floats")
        }
        #if os(Linux)
        if huge { _ = madvise(raw, bytes, MADV_HUGEPAGE) } // advice only: ignored where THP is off
        #endif
        self.p = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { free(p) }

    func fill(_ value: Float) { p.update(repeating: value, count: count) }

    /// Deterministic values in [lo, hi) (a 64-bit LCG: no dependence on the kernels under test).
    func fillUniform(seed: UInt64, _ lo: Float = -1, _ hi: Float = 1) {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        let scale = (hi - lo) / Float(1 << 24)
        for i in 0..<count {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            p[i] = lo + Float(UInt32(truncatingIfNeeded: s >> 40)) * scale
        }
    }

    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }

    func copy(from a: [Float]) {
        a.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: min(count, a.count)) }
    }
}

/// The named [B, D] operands the kernels read and write.
enum Operand: String, CaseIterable {
    case x, c, u, m, prev, g
}

/// C-side operands of one size: [rows, cols] buffers, plus per-row outputs.
final class Workspace {
    let rows: Int
    let cols: Int
    var n: Int { rows * cols }
    private(set) var buffers: [Operand: FloatBuffer] = [:]
    let rowOut: FloatBuffer
    let rowOut2: FloatBuffer

    init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        for op in Operand.allCases { buffers[op] = FloatBuffer(count: rows * cols) }
        rowOut = FloatBuffer(count: rows)
        rowOut2 = FloatBuffer(count: rows)
        reset()
    }

    subscript(_ op: Operand) -> UnsafeMutablePointer<Float> { buffers[op]!.p }

    /// The initial state every kernel (and its Swift and NumPy twins) starts from.
    func reset() {
        buffers[.x]!.fillUniform(seed: 1)
        buffers[.c]!.fillUniform(seed: 2)
        buffers[.u]!.fillUniform(seed: 3)
        buffers[.m]!.fillUniform(seed: 4)
        buffers[.prev]!.fill(0)
        buffers[.g]!.fill(0)
        rowOut.fill(0)
        rowOut2.fill(0)
    }
}

/// Swift-side operands of one size: plain [Float] arrays (plus preallocated temporaries, so the
/// plain loops are timed as loops, not as allocations).
final class SwiftWork {
    let rows: Int
    let cols: Int
    var x: [Float], c: [Float], u: [Float], m: [Float], prev: [Float], g: [Float]
    var t1: [Float], t2: [Float], t3: [Float]
    var rowA: [Float], rowB: [Float], rowC: [Float]

    init(from w: Workspace) {
        rows = w.rows
        cols = w.cols
        x = []; c = []; u = []; m = []; prev = []; g = []
        let n = w.n
        t1 = [Float](repeating: 0, count: n)
        t2 = [Float](repeating: 0, count: n)
        t3 = [Float](repeating: 0, count: n)
        rowA = [Float](repeating: 0, count: w.rows)
        rowB = [Float](repeating: 0, count: w.rows)
        rowC = [Float](repeating: 0, count: w.rows)
        load(from: w)
    }

    func load(from w: Workspace) {
        x = w.buffers[.x]!.array
        c = w.buffers[.c]!.array
        u = w.buffers[.u]!.array
        m = w.buffers[.m]!.array
        prev = w.buffers[.prev]!.array
        g = w.buffers[.g]!.array
    }

    func array(_ op: Operand) -> [Float] {
        switch op {
        case .x: x
        case .c: c
        case .u: u
        case .m: m
        case .prev: prev
        case .g: g
        }
    }
}
