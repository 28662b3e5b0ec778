internal import CFlowKernels

/// A BLAS library for the dense layer's GEMM, loaded at run time (no relinking to switch).
public enum BLASBackend: Hashable, Sendable, CustomStringConvertible {
    /// `libblas.so.3`: whatever Debian's alternatives (or `LD_LIBRARY_PATH`) point at.
    case system
    case openBLAS
    case blis
    /// The netlib reference BLAS.
    case reference
    /// FlowGuide's own portable GEMM (no BLAS needed; slow).
    case builtin
    /// Any shared library exporting `cblas_sgemm`.
    case path(String)

    /// The name `fk_blas_load` and `FLOWGUIDE_BLAS` understand.
    public var name: String {
        switch self {
        case .system: "system"
        case .openBLAS: "openblas"
        case .blis: "blis"
        case .reference: "reference"
        case .builtin: "builtin"
        case .path(let p): p
        }
    }

    public var description: String { name }
}

/// What the kernels run on: threads, SIMD path, BLAS backend. Process-wide settings.
public enum KernelRuntime {
    /// The library version.
    public static var version: String { String(cString: fk_version()) }

    /// Threads used by the kernels, GEMM included (fk_sgemm runs fixed row tiles of C on these
    /// threads; the BLAS itself is kept single-threaded, so GEMM bits do not depend on the count).
    /// Starts from `OMP_NUM_THREADS`. The corresponding C functions are `fk_get_num_threads` /
    /// `fk_set_num_threads`.
    public static var threadCount: Int { Int(fk_get_num_threads()) }

    /// Sets the thread count (>= 1).
    public static func setThreadCount(_ n: Int) throws(KernelError) {
        guard n >= 1, n <= Int(Int32.max) else {
            throw KernelError(.invalidArgument, "setThreadCount: \(n) is not a thread count")
        }
        try check(fk_set_num_threads(Int32(n)), "fk_set_num_threads")
    }

    /// Whether the C library was built with OpenMP.
    public static var hasOpenMP: Bool { fk_has_openmp() != 0 }

    /// The SIMD code path the kernels run: "avx512", "avx2", "baseline" or "reference".
    public static var simdPath: String { String(cString: fk_simd_path()) }

    /// Forces a SIMD path by name (or "auto"); throws if the CPU lacks it.
    public static func setSIMDPath(_ name: String) throws(KernelError) {
        try check(fk_set_simd_path(name), "fk_set_simd_path(\(name))")
    }

    /// The active BLAS backend (loading the default one first if needed).
    public static var blas: BLASInfo {
        BLASInfo(family: String(cString: fk_blas_name()),
                 path: String(cString: fk_blas_path()),
                 kernel: String(cString: fk_blas_kernel()))
    }

    /// Loads (or switches to) a BLAS backend now.
    public static func loadBLAS(_ backend: BLASBackend) throws(KernelError) {
        try check(fk_blas_load(backend.name), "fk_blas_load(\(backend.name))")
    }
}

/// Which BLAS is active.
public struct BLASInfo: Hashable, Sendable, CustomStringConvertible {
    /// "openblas", "blis", "reference", "builtin" or "unknown".
    public let family: String
    /// The shared library the GEMM comes from ("builtin" for the built-in one).
    public let path: String
    /// The backend's kernel name where it reports one (OpenBLAS: e.g. "Haswell", "SkylakeX").
    public let kernel: String

    public var description: String {
        kernel.isEmpty ? "\(family) (\(path))" : "\(family) [\(kernel)] (\(path))"
    }
}
