// Timing: warm up, size a batch to last about `minTime`, then time `rounds` batches and keep the
// best (the least-disturbed run on a shared machine). Items of one size are timed interleaved,
// round by round, so load changes hit the kernels and their references alike; every round's time
// is kept, so a kernel can also be compared with its reference round by round (Targets).

import CFlowBench
import CFlowKernels

/// One thing to time: a closure plus the thread count it runs with, or a batch timed elsewhere
/// (the NumPy worker), which is sized and warmed up by whoever times it.
final class TimedItem {
    let key: String
    let threads: Int
    let body: () -> Void
    let remoteBatch: (() -> Double)?  // seconds per call of one batch
    var callsPerBatch = 1
    var seconds: [Double] = []  // per call, one per round

    init(_ key: String, threads: Int, body: @escaping () -> Void) {
        self.key = key
        self.threads = threads
        self.body = body
        self.remoteBatch = nil
    }

    init(_ key: String, remoteBatch: @escaping () -> Double) {
        self.key = key
        self.threads = 1
        self.body = {}
        self.remoteBatch = remoteBatch
    }

    var best: Double { seconds.min() ?? .nan }
}

func setThreads(_ n: Int) {
    if fk_set_num_threads(Int32(n)) != FK_OK { fail("fk_set_num_threads(\(n)) failed") }
}

/// Seconds per call of `calls` back-to-back calls.
func timeCalls(_ calls: Int, _ body: () -> Void) -> Double {
    let t0 = fb_now()
    for _ in 0..<calls { body() }
    return (fb_now() - t0) / Double(calls)
}

/// Warms up and sizes each item's batch, then runs `rounds` interleaved rounds.
func measure(_ items: [TimedItem], minTime: Double, rounds: Int) {
    for item in items where item.remoteBatch == nil {
        setThreads(item.threads)
        item.body()  // first touch, caches, thread pool
        var calls = 1
        var t = timeCalls(1, item.body)
        // Short calls: time a few to get past timer resolution before extrapolating.
        while t * Double(calls) < minTime / 20 && calls < 1 << 24 {
            calls *= 4
            t = timeCalls(calls, item.body)
        }
        item.callsPerBatch = max(1, Int(minTime / max(t, 1e-9)))
    }
    for _ in 0..<rounds {
        for item in items {
            if let remote = item.remoteBatch { item.seconds.append(remote()); continue }
            setThreads(item.threads)
            item.seconds.append(timeCalls(item.callsPerBatch, item.body))
        }
    }
}
