#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// External data from NumPy `.npy` files (DESIGN.md §6, §8).
extension Dataset {
    /// A dataset from a samples file and an optional labels file.
    ///
    /// - `samplesFile`: a 2-D float array [N, D], `'<f4'` or `'<f8'` (rounded to float32), C
    ///   order, D ≥ 1, every value finite (a float64 value beyond the float32 range counts as
    ///   infinite).
    /// - `labelsFile`: a 1-D integer array [N] (any of `NumPyFile.readIntegers`' dtypes), every
    ///   label ≥ 0; `classCount` is the largest label + 1 (classes without samples are allowed).
    ///   Without it every sample is class 0 and `classCount` is 1.
    ///
    /// The name is the samples file's name. Throws ``DatasetError`` naming the file: `.file` for a
    /// missing or malformed file, a wrong dtype or a shape that is not [N, D] / [N] (the
    /// ``NumPyFileError`` message, prefixed with the file's role), `.shapeMismatch` for D = 0 or a
    /// label count other than N, `.invalidLabel` for a negative label, `.nonFiniteValue` for NaN
    /// or infinity (with the first bad row and column).
    public init(samplesFile: URL, labelsFile: URL? = nil) throws(DatasetError) {
        let path = samplesFile.relativePath
        let samples: Matrix
        do {
            samples = try NumPyFile.readMatrix(samplesFile)
        } catch {
            throw DatasetError(.file, "samples file \(Self.describe(error, path: path))")
        }
        guard samples.columns >= 1 else {
            throw DatasetError(.shapeMismatch, "samples file \(path): shape [\(samples.rows), 0] has no columns (expected [N, D], D >= 1)")
        }
        if let (row, column, rows) = Self.firstNonFinite(samples) {
            throw DatasetError(.nonFiniteValue,
                               "samples file \(path): \(rows) of \(samples.rows) rows contain NaN or infinity "
                                   + "(the first is row \(row), column \(column)); remove them first")
        }
        var labels = [Int](repeating: 0, count: samples.rows)
        var classCount = 1
        if let labelsFile {
            let labelsPath = labelsFile.relativePath
            do {
                labels = try NumPyFile.readIntegers(labelsFile)
            } catch {
                throw DatasetError(.file, "labels file \(Self.describe(error, path: labelsPath))")
            }
            guard labels.count == samples.rows else {
                throw DatasetError(.shapeMismatch,
                                   "labels file \(labelsPath): \(labels.count) labels for the \(samples.rows) samples of \(path)")
            }
            if let i = labels.firstIndex(where: { $0 < 0 }) {
                throw DatasetError(.invalidLabel,
                                   "labels file \(labelsPath): label \(labels[i]) at index \(i) is negative "
                                       + "(classes are 0, 1, 2, ...)")
            }
            classCount = (labels.max() ?? 0) + 1
        }
        self.init(unchecked: samples, labels: labels, classCount: classCount, name: samplesFile.lastPathComponent)
    }

    /// Writes the samples as a `'<f4'` array [N, D] and, if `labelsFile` is given, the labels
    /// as a `'<i8'` array [N] (each file atomically). Throws `.file` with the file and the reason.
    public func write(samplesTo samplesFile: URL, labelsTo labelsFile: URL? = nil) throws(DatasetError) {
        do {
            try NumPyFile.write(samples, to: samplesFile)
        } catch {
            throw DatasetError(.file, "samples file \(Self.describe(error, path: samplesFile.relativePath))")
        }
        guard let labelsFile else { return }
        do {
            try NumPyFile.write(integers: labels, to: labelsFile)
        } catch {
            throw DatasetError(.file, "labels file \(Self.describe(error, path: labelsFile.relativePath))")
        }
    }

    /// "path: message" of a NumPyFileError, or of another error.
    private static func describe(_ error: any Error, path: String) -> String {
        if let error = error as? NumPyFileError { return error.description }
        return "\(path): \(error)"
    }
}
