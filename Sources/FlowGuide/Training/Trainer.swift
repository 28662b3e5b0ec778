/// Trains an ``MLPVelocityModel`` on the flow-matching objective (DESIGN.md §6).
///
/// Step k draws batch k (``FlowMatchingBatch``: a function of the seed and k only), computes the
/// loss and gradient (``MLPVelocityModel/lossAndGradient(x:sigma:labels:target:into:)``) and
/// makes one optimizer update with the scheduled learning rate
/// (``TrainingConfiguration/learningRate(atStep:)``). Everything is deterministic, so:
/// - the parameters after n steps are bitwise the same for any thread count;
/// - training to k, saving ``state``, and resuming with ``init(resuming:)`` to n gives bitwise
///   the parameters of training to n in one go (in one or several ``train(on:labels:steps:shouldStop:progress:)``
///   calls).
///
/// The batch and gradient buffers are allocated once; with AdamW or Lion a training step
/// allocates nothing in the steady state (Muon allocates its small Newton–Schulz matrices,
/// AdamQLR its trial parameters and the trial forward pass's output).
public struct Trainer: Sendable {
    public let configuration: TrainingConfiguration
    /// The model being trained (its ``MLPVelocityModel/parameters`` are updated in place).
    public private(set) var model: MLPVelocityModel
    /// The optimizer and its state.
    public private(set) var optimizer: any Optimizer
    /// The number of steps made so far: the next step trains on batch `step`.
    public private(set) var step: Int
    private var batch: FlowMatchingBatch
    private var gradient: [Float]
    /// The forward tape of the current step (AdamQLR linearises around it).
    private let tape = MLPTape()

    /// Starts a run at step 0 from `model` (e.g. ``MLPVelocityModel/init(architecture:seed:)``).
    public init(model: MLPVelocityModel, configuration: TrainingConfiguration) throws(KernelError) {
        try configuration.validate()
        self.configuration = configuration
        self.model = model
        optimizer = try configuration.optimizer.makeOptimizer(architecture: model.architecture)
        step = 0
        batch = try FlowMatchingBatch(batchSize: configuration.batchSize, dimension: model.dimension)
        gradient = [Float](repeating: 0, count: model.parameters.count)
    }

    /// Continues a run from a saved ``state`` (its configuration, parameters, optimizer state, step).
    public init(resuming state: TrainingState) throws(KernelError) {
        let model = try MLPVelocityModel(architecture: state.architecture, parameters: state.parameters)
        try self.init(model: model, configuration: state.configuration)
        guard state.optimizerName == optimizer.name else {
            throw KernelError(.invalidArgument, "Trainer: the state was saved by optimizer \"\(state.optimizerName)\", "
                                  + "the configuration makes \"\(optimizer.name)\"")
        }
        guard state.step >= 0 else { throw KernelError(.invalidArgument, "Trainer: state step \(state.step) < 0") }
        try optimizer.restore(state: state.optimizerState, scalars: state.optimizerScalars,
                              stepCount: state.optimizerStepCount)
        if let n = state.optimizerState.values.first?.count, n != state.parameters.count {
            throw KernelError(.shapeMismatch,
                              "Trainer: optimizer state of \(n) values for \(state.parameters.count) parameters")
        }
        step = state.step
    }

    /// Everything needed to resume this run exactly.
    public var state: TrainingState {
        TrainingState(configuration: configuration, architecture: model.architecture, parameters: model.parameters,
                      optimizerName: optimizer.name, optimizerState: optimizer.state,
                      optimizerScalars: optimizer.scalarState, optimizerStepCount: optimizer.stepCount, step: step)
    }

    /// Makes up to `steps` training steps on `data` (`[N, D]`, finite) with class `labels` (N
    /// values in `0 ..< C`, or ``ClassLabel/unconditional`` for unlabelled rows).
    ///
    /// Before each step `shouldStop` (if given) is asked whether to stop (e.g. `{ Task.isCancelled }`);
    /// after each step `progress` (if given) receives the step's numbers. Throws for invalid
    /// data, and `.invalidArgument` if a batch's loss is not finite (the run diverged; the
    /// parameters are left as they were before that step).
    /// - Returns: the number of steps made.
    @discardableResult
    public mutating func train(on data: Matrix, labels: [Int], steps: Int, shouldStop: (() -> Bool)? = nil,
                               progress: ((TrainingProgress) -> Void)? = nil) throws(KernelError) -> Int {
        try validate(data: data, labels: labels, steps: steps)
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        while done < steps {
            if let shouldStop, shouldStop() { break }
            try batch.draw(step: step, from: data, labels: labels, seed: configuration.seed,
                           sigmaSampling: configuration.sigmaSampling, labelDropout: configuration.labelDropout)
            let learningRate = configuration.learningRate(atStep: step)
            let loss = try model.lossAndGradient(x: batch.input, sigma: batch.sigma, labels: batch.labels,
                                                 target: batch.target, gradient: &gradient, tape: tape)
            guard loss.isFinite else {
                throw KernelError(.invalidArgument, "Trainer: the loss is \(loss) at step \(step) (the run diverged)")
            }
            if optimizer.usesMinibatchObjective {
                var objective = MLPMinibatchObjective(model: model, x: batch.input, sigma: batch.sigma,
                                                      labels: batch.labels, target: batch.target, tape: tape)
                try optimizer.step(parameters: &model.parameters, gradient: gradient, loss: loss,
                                   learningRate: learningRate, objective: &objective)
            } else {
                try optimizer.step(parameters: &model.parameters, gradient: gradient, learningRate: learningRate)
            }
            step += 1
            done += 1
            if let progress {
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                progress(TrainingProgress(step: step, totalSteps: configuration.steps, loss: loss,
                                          learningRate: learningRate,
                                          samplesPerSecond: seconds > 0 ? Double(done * batch.batchSize) / seconds : 0))
            }
        }
        return done
    }

    private func validate(data: Matrix, labels: [Int], steps: Int) throws(KernelError) {
        let name = "Trainer.train"
        guard steps >= 0 else { throw KernelError(.invalidArgument, "\(name): steps \(steps) < 0") }
        guard data.columns == model.dimension else {
            throw KernelError(.shapeMismatch, "\(name): data has \(data.columns) columns, the model dimension is \(model.dimension)")
        }
        guard data.rows >= 1 else { throw KernelError(.invalidArgument, "\(name): the dataset is empty") }
        guard labels.count == data.rows else {
            throw KernelError(.shapeMismatch, "\(name): \(labels.count) labels for \(data.rows) data rows")
        }
        if let i = labels.firstIndex(where: { $0 != ClassLabel.unconditional && !(0..<model.classCount).contains($0) }) {
            throw KernelError(.invalidArgument, "\(name): labels[\(i)] = \(labels[i]) is neither a class in "
                                  + "0..<\(model.classCount) nor unconditional (-1)")
        }
        if let i = data.scalars.firstIndex(where: { !$0.isFinite }) {
            throw KernelError(.invalidArgument,
                              "\(name): data[\(i / data.columns), \(i % data.columns)] = \(data.scalars[i]) is not finite")
        }
    }
}

/// What ``Trainer/train(on:labels:steps:shouldStop:progress:)`` reports after each step.
public struct TrainingProgress: Hashable, Sendable {
    /// Steps completed, this one included.
    public var step: Int
    /// The schedule's length (``TrainingConfiguration/steps``).
    public var totalSteps: Int
    /// This step's batch loss (before the update).
    public var loss: Double
    /// The learning rate of this step's update.
    public var learningRate: Float
    /// Training examples per second since the current `train` call began.
    public var samplesPerSecond: Double
}

/// A snapshot of a training run from which ``Trainer/init(resuming:)`` continues it bit for bit.
/// (Writing it to disk is the checkpoint format's job.)
public struct TrainingState: Codable, Hashable, Sendable {
    public var configuration: TrainingConfiguration
    public var architecture: MLPArchitecture
    /// The model parameters (``MLPArchitecture/tensors`` layout).
    public var parameters: [Float]
    /// ``Optimizer/name`` of the optimizer that saved ``optimizerState``.
    public var optimizerName: String
    /// ``Optimizer/state``: named vectors with one value per parameter.
    public var optimizerState: [String: [Float]]
    /// ``Optimizer/scalarState`` (e.g. AdamQLR's damping).
    public var optimizerScalars: [String: Double]
    /// ``Optimizer/stepCount``.
    public var optimizerStepCount: Int
    /// Steps made: the next step trains on batch `step`.
    public var step: Int

    public init(configuration: TrainingConfiguration, architecture: MLPArchitecture, parameters: [Float],
                optimizerName: String, optimizerState: [String: [Float]], optimizerScalars: [String: Double] = [:],
                optimizerStepCount: Int, step: Int) {
        self.configuration = configuration
        self.architecture = architecture
        self.parameters = parameters
        self.optimizerName = optimizerName
        self.optimizerState = optimizerState
        self.optimizerScalars = optimizerScalars
        self.optimizerStepCount = optimizerStepCount
        self.step = step
    }
}
