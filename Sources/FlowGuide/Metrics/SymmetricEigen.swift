/// The eigen-decomposition `A = V·diag(λ)·Vᵀ` of a real symmetric n × n matrix, by the cyclic
/// Jacobi method in Double: sweeps of plane rotations over every off-diagonal pair until the
/// off-diagonal part is negligible. Accurate (eigenvalues to a few ulps of ‖A‖) and simple, at
/// about 4n³ operations a sweep and typically 6–10 sweeps: meant for n up to a few hundred.
struct SymmetricEigen {
    let n: Int
    /// λ, in no particular order.
    let values: [Double]
    /// V, n × n row-major; column k is the unit eigenvector of `values[k]`.
    let vectors: [Double]
    /// The sweeps it took (at most `maxSweeps`).
    let sweeps: Int

    /// Decomposes the n × n row-major `matrix`, which must be symmetric (only its symmetric part,
    /// (A + Aᵀ)/2, is used) and finite.
    init(_ matrix: [Double], n: Int, maxSweeps: Int = 60) {
        precondition(matrix.count == n * n, "SymmetricEigen: \(matrix.count) values for \(n) × \(n)")
        var a = matrix
        for i in 0..<n {
            for j in (i + 1)..<n {
                let s = 0.5 * (a[i * n + j] + a[j * n + i])
                a[i * n + j] = s
                a[j * n + i] = s
            }
        }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let frobenius2 = a.reduce(0) { $0 + $1 * $1 }

        var sweeps = 0
        a.withUnsafeMutableBufferPointer { a in
            v.withUnsafeMutableBufferPointer { v in
                while sweeps < maxSweeps {
                    // Converged when the off-diagonal part is below 1e-15·‖A‖ (Frobenius): the
                    // eigenvalues are then exact to rounding.
                    var off2 = 0.0
                    for i in 0..<n {
                        for j in (i + 1)..<n { off2 += 2 * a[i * n + j] * a[i * n + j] }
                    }
                    if off2 <= 1e-30 * frobenius2 || off2 == 0 { break }
                    sweeps += 1
                    for p in 0..<n {
                        for q in (p + 1)..<n {
                            let apq = a[p * n + q]
                            if apq == 0 { continue }
                            // The rotation (c, s) that zeroes a[p][q]: t = tan of the angle, the
                            // smaller root of t² + 2θt − 1 = 0 with θ = (a_qq − a_pp)/(2·a_pq).
                            let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                            let t = abs(theta) > 1e150
                                ? 1 / (2 * theta)
                                : (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                            let c = 1 / (t * t + 1).squareRoot(), s = t * c
                            // A ← Jᵀ·A·J: columns p and q, then rows p and q.
                            for k in 0..<n {
                                let akp = a[k * n + p], akq = a[k * n + q]
                                a[k * n + p] = c * akp - s * akq
                                a[k * n + q] = s * akp + c * akq
                            }
                            for k in 0..<n {
                                let apk = a[p * n + k], aqk = a[q * n + k]
                                a[p * n + k] = c * apk - s * aqk
                                a[q * n + k] = s * apk + c * aqk
                            }
                            a[p * n + q] = 0
                            a[q * n + p] = 0
                            // V ← V·J.
                            for k in 0..<n {
                                let vkp = v[k * n + p], vkq = v[k * n + q]
                                v[k * n + p] = c * vkp - s * vkq
                                v[k * n + q] = s * vkp + c * vkq
                            }
                        }
                    }
                }
            }
        }
        self.n = n
        self.sweeps = sweeps
        self.values = (0..<n).map { a[$0 * n + $0] }
        self.vectors = v
    }

    /// `V·diag(f(λ))·Vᵀ`, n × n row-major: a function of the matrix (e.g. its square root).
    func map(_ f: (Double) -> Double) -> [Double] {
        let fl = values.map(f)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * fl[k] * vectors[j * n + k] }
                out[i * n + j] = sum
                out[j * n + i] = sum
            }
        }
        return out
    }
}

/// `a·b` for n × n row-major Double matrices.
func multiplySquare(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
    var out = [Double](repeating: 0, count: n * n)
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    for k in 0..<n {
                        let aik = a[i * n + k]
                        if aik == 0 { continue }
                        for j in 0..<n { o[i * n + j] += aik * b[k * n + j] }
                    }
                }
            }
        }
    }
    return out
}
