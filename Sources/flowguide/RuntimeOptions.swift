import ArgumentParser
import FlowGuide

/// `--threads T`: the kernels' thread count (default: OMP_NUM_THREADS, else all cores).
struct RuntimeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Kernel threads (default: OMP_NUM_THREADS or all cores).", valueName: "t"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1, got \(threads)") }
    }

    /// Applies the settings to the process.
    func apply() throws {
        if let threads { try KernelRuntime.setThreadCount(threads) }
    }
}
