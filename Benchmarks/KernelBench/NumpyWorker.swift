// The NumPy side of the kernel section, timed side by side: Benchmarks/numpy_bench.py runs as a
// worker process (`--serve`), and each round times one NumPy batch of every kernel right after the
// kernels' own batches, so "x NumPy" pairs two times taken seconds apart. The protocol is in
// numpy_bench.py's docstring. While the worker times a batch this process waits on the pipe, and
// the other way round (only OpenMP's idle threads may still spin for a moment after a parallel
// region, as they do between the kernels' own batches).

import Foundation

final class NumpyWorker {
    private let process = Process()
    private let toWorker = Pipe()
    private let fromWorker = Pipe()
    private var pending = Data()
    let script: String
    /// The worker's "ready" line without the word: NumPy and Python versions, OPENBLAS_CORETYPE.
    private(set) var about = ""

    /// Starts `python3 script --serve` and waits for its "ready" line.
    init(script: String) {
        self.script = script
        guard FileManager.default.isReadableFile(atPath: script) else {
            fail("--numpy-worker: cannot read \(script)")
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--serve"]
        process.standardInput = toWorker
        process.standardOutput = fromWorker
        do { try process.run() } catch { fail("--numpy-worker: cannot start python3 \(script): \(error)") }
        let hello = readLine()
        guard hello.hasPrefix("ready") else { fail("--numpy-worker: unexpected first line: \(hello)") }
        about = String(hello.dropFirst("ready".count)).trimmingCharacters(in: .whitespaces)
    }

    /// Ends the worker (EOF on its stdin ends its loop) and waits for it: its arrays go with it.
    func close() {
        try? toWorker.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// Builds the operands of one [rows, cols] size in the worker, warms every case up and sizes
    /// its batches to about `minTime` seconds. Returns the names of the worker's cases.
    func prepare(rows: Int, cols: Int, minTime: Double) -> Set<String> {
        let answer = request("size \(rows) \(cols) \(minTime)").split(separator: " ").map(String.init)
        guard answer.first == "ok" else {
            fail("NumPy worker, size \(rows)x\(cols): \(answer.joined(separator: " "))")
        }
        return Set(answer.dropFirst())
    }

    /// Seconds per call of one batch of the NumPy twin of kernel `id` (prepared size).
    func time(_ id: String) -> Double {
        let answer = request("time \(id)")
        guard let s = Double(answer), s > 0 else { fail("NumPy worker, \(id): \(answer)") }
        return s
    }

    private func request(_ line: String) -> String {
        // A dead worker shows as a failed write (SIGPIPE ignored for this write only) or as EOF.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        do { try toWorker.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8)) } catch {
            fail("cannot write to the NumPy worker (numpy_bench.py --serve): \(error)")
        }
        return readLine()
    }

    /// The worker's next output line; a closed pipe (the worker died) ends the benchmark.
    private func readLine() -> String {
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...nl)
                return line
            }
            let more = fromWorker.fileHandleForReading.availableData
            if more.isEmpty { fail("the NumPy worker (numpy_bench.py --serve) exited; its stderr is above") }
            pending.append(more)
        }
    }
}
