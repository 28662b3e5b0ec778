internal import CFlowKernels

// The one layer that calls C: status codes become `KernelError`, shapes are checked first.

extension KernelError {
    /// Wraps a C status; `operation` names the C function for the message.
    init(status: fk_status, operation: String) {
        var text = String(cString: fk_status_string(status))
        if status == FK_ERR_BLAS, let reason = fk_blas_error(), reason.pointee != 0 {
            text += " (\(String(cString: reason)))"  // why the backend could not be loaded
        }
        let code = Code(rawValue: status.rawValue) ?? .unknown
        self.init(code, "\(operation): \(text)")
    }
}

/// Throws unless `status` is `FK_OK`.
@inline(__always)
func check(_ status: fk_status, _ operation: @autoclosure () -> String) throws(KernelError) {
    if status != FK_OK { throw KernelError(status: status, operation: operation()) }
}

/// Throws `.shapeMismatch` unless every matrix has the shape of the first.
func requireSameShape(_ operation: String, _ matrices: Matrix?...) throws(KernelError) {
    let present = matrices.compactMap { $0 }
    guard let first = present.first else { return }
    for m in present.dropFirst() where m.rows != first.rows || m.columns != first.columns {
        throw KernelError(.shapeMismatch,
                          "\(operation): shapes [\(first.rows), \(first.columns)] and [\(m.rows), \(m.columns)] differ")
    }
}

/// Throws `.shapeMismatch` unless a per-sample output has one value per row.
func requireCount(_ operation: String, _ values: [Float], _ rows: Int) throws(KernelError) {
    if values.count != rows {
        throw KernelError(.shapeMismatch, "\(operation): \(values.count) per-sample values for \(rows) rows")
    }
}
