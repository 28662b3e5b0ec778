/// The ``MinibatchObjective`` of one training step of an ``MLPVelocityModel``: the flow-matching
/// loss of the step's batch (inputs, σ, labels, targets) as a function of the parameters.
///
/// Made by ``Trainer`` right after `lossAndGradient` filled `tape` at the model's parameters, so
/// the curvature is the Gauss–Newton matrix there: `uᵀGu = 2/(B·D)·‖J·u‖²` from one tangent pass
/// (``MLPVelocityModel/gaussNewtonVectorProduct(x:sigma:labels:direction:into:)`` has the full `G·u`).
struct MLPMinibatchObjective: MinibatchObjective {
    let model: MLPVelocityModel
    let x: Matrix
    let sigma: [Float]
    let labels: [Int]
    let target: Matrix
    let tape: MLPTape
    var velocity: Matrix

    init(model: MLPVelocityModel, x: Matrix, sigma: [Float], labels: [Int], target: Matrix, tape: MLPTape) {
        (self.model, self.x, self.sigma, self.labels, self.target, self.tape) = (model, x, sigma, labels, target, tape)
        velocity = Matrix(rows: x.rows, columns: x.columns)
    }

    /// The mean of `(v − target)²` over all `B·D` values at `parameters`, summed in Double in index
    /// order (as the training loss).
    mutating func loss(at parameters: [Float]) throws(KernelError) -> Double {
        guard parameters.count == model.parameters.count else {
            throw KernelError(.shapeMismatch, "MinibatchObjective.loss: \(parameters.count) parameters for a model "
                                  + "of \(model.parameters.count)")
        }
        var trial = model
        trial.parameters = parameters
        try trial.velocity(x, sigma: sigma, labels: labels, into: &velocity)
        var sum = 0.0
        for j in 0..<x.count {
            let r = velocity.scalars[j] - target.scalars[j]
            sum += Double(r) * Double(r)
        }
        return sum / Double(x.count)
    }

    mutating func gaussNewtonQuadraticForm(_ u: [Float]) throws(KernelError) -> Double {
        guard u.count == model.parameters.count else {
            throw KernelError(.shapeMismatch, "MinibatchObjective.gaussNewtonQuadraticForm: \(u.count) values for a "
                                  + "model of \(model.parameters.count) parameters")
        }
        try model.tangent(labels: labels, rows: x.rows, direction: u, tape: tape)
        let count = x.count
        let squares = tape.withPointers { t in
            var sum = 0.0
            for j in 0..<count { sum += Double(t.dv[j]) * Double(t.dv[j]) }
            return sum
        }
        return 2 * squares / Double(count)
    }
}
