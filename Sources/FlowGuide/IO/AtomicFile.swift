#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole files atomically: the bytes go to a temporary file in the destination's
/// directory, which is then renamed over the destination, so an existing file is either left
/// as it was or replaced entirely, never half-overwritten.
enum AtomicFile {
    /// Writes `data` to `url`; on failure returns (throws) a one-line reason.
    static func save(_ data: Data, to url: URL) throws(AtomicFileFailure) {
        let destination = url.standardizedFileURL
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(
            ".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        try writeNew(data, at: temporary)
        let status = temporary.withUnsafeFileSystemRepresentation { from in
            destination.withUnsafeFileSystemRepresentation { to in
                guard let from, let to else { return Int32(-1) }
                return rename(from, to)
            }
        }
        if status != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw AtomicFileFailure(message: "cannot replace the file: \(reason)")
        }
    }

    /// Creates `url` (which must not exist) and writes `data` to it; removes it on failure.
    private static func writeNew(_ data: Data, at url: URL) throws(AtomicFileFailure) {
        let directory = url.deletingLastPathComponent().path
        let fd = url.withUnsafeFileSystemRepresentation { path in
            path.map { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) } ?? -1
        }
        guard fd >= 0 else {
            throw AtomicFileFailure(message: "cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        var failure: String?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            try? FileManager.default.removeItem(at: url)
            throw AtomicFileFailure(message: "cannot write to \(directory): \(failure)")
        }
    }
}

/// Why ``AtomicFile/save(_:to:)`` failed.
struct AtomicFileFailure: Error {
    let message: String
}
