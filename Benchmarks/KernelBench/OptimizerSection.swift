// Optimizers (issue 7): each fused optimizer kernel's bandwidth against the in-place axpy measured
// in the same run (n = 1e7, state far larger than the caches), and the cost of one AdamQLR
// training step against one AdamW step for the shipped 8-Gaussians architecture (width 256, 2
// residual blocks = 5 hidden layers of 256) at batch 4096.

import CFlowBench
import CFlowKernels
import FlowGuide

/// The kernel table: GB/s of each optimizer pass (compulsory traffic: its streams of n floats)
/// and its ratio to axpy's (3 streams: r x, y  w y).
func runOptimizerKernelTable(_ options: Options, threads: Int, n: Int = 10_000_000) -> Table {
    func buffer(_ seed: Float) -> FloatBuffer {
        let b = FloatBuffer(count: n)
        for i in 0..<n { b.p[i] = seed * Float((i % 1000) + 1) * 1e-3 }
        return b
    }
    let buffers = [buffer(0.5), buffer(0.25), buffer(0.125), buffer(0.0625), buffer(1)]
    let theta = buffers[0].p, g = buffers[1].p, m = buffers[2].p, v = buffers[3].p, u = buffers[4].p
    defer { withExtendedLifetime(buffers) {} } // the closures below hold only the raw pointers
    let n64 = Int64(n)
    var adamw = fk_adamw_params(lr: 1e-9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01,
                                flags: Int32(FK_OPT_CAUTIOUS), step: 10)
    var lion = fk_lion_params(lr: 1e-9, beta1: 0.9, beta2: 0.99, weight_decay: 0.1, flags: Int32(FK_OPT_CAUTIOUS))
    var direction = fk_adam_direction_params(beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 10)
    var dots = (0.0, 0.0)
    let cases: [(id: String, what: String, arrays: Int, run: () -> Void)] = [
        ("adamw_step", "AdamW / Muon's AdamW part (r θ,g,m,v  w θ,m,v)", 7,
         { _ = fk_adamw_step(n64, theta, g, m, v, &adamw) }),
        ("lion_step", "Lion (r θ,g,m  w θ,m)", 5, { _ = fk_lion_step(n64, theta, g, m, &lion) }),
        ("adam_direction", "AdamQLR moments + Σg·u, Σu·u (r g,m,v  w m,v,u)", 6, {
            _ = withUnsafeMutablePointer(to: &dots) { dp in
                dp.withMemoryRebound(to: Double.self, capacity: 2) { fk_adam_direction(n64, g, m, v, u, &direction, $0) }
            }
        }),
        ("apply_update", "apply update: Muon's / AdamQLR's last pass (r θ,u  w θ)", 3,
         { _ = fk_apply_update(n64, theta, u, 1e-9, 0.01, Int32(FK_OPT_CAUTIOUS)) }),
    ]
    var items = [TimedItem("axpy", threads: threads) { fb_axpy(n64, 1e-9, g, theta) }]
    items += cases.map { c in TimedItem(c.id, threads: threads, body: c.run) }
    progress("optimizer kernels at n = \(n), \(threads) threads")
    measure(items, minTime: max(options.minTime, 0.05), rounds: options.rounds)
    let axpyGBs = 12 * Double(n) / items[0].best / 1e9
    var table = Table("Optimizer kernels, n = 1e7 floats, \(threads) threads",
                      ["kernel", "streams", "ms", "GB/s", "% of axpy"], leftColumns: 1)
    table.add(["in-place axpy y += a·x (reference)", "3", fmt(1000 * items[0].best), fmt(axpyGBs), "100%"])
    for (c, item) in zip(cases, items.dropFirst()) {
        let gbs = Double(4 * c.arrays * n) / item.best / 1e9
        table.add([c.what, "\(c.arrays)", fmt(1000 * item.best), fmt(gbs), fmt(100 * gbs / axpyGBs) + "%"])
    }
    table.notes = ["GB/s counts each stream of n floats once (4 B per element per stream); best of \(options.rounds) " +
                   "interleaved batches. Target (issue 7): every optimizer kernel ≥ 80% of axpy."]
    return table
}

/// Seconds per training step (best of `rounds` runs of `steps` steps) with `optimizer`.
func trainingStepSeconds(_ optimizer: OptimizerConfiguration, architecture a: MLPArchitecture, data: Matrix,
                         labels: [Int], batch: Int, steps: Int, rounds: Int) -> Double {
    guard let model = try? MLPVelocityModel(architecture: a, seed: 1),
          var trainer = try? Trainer(model: model, configuration: TrainingConfiguration(
              steps: 1_000_000, batchSize: batch, learningRate: 1e-3, warmupSteps: 0, optimizer: optimizer))
    else { fail("training setup failed") }
    var best = Double.infinity
    for round in 0...rounds {  // round 0 warms up
        let t0 = fb_now()
        guard (try? trainer.train(on: data, labels: labels, steps: steps)) != nil else { fail("training failed") }
        if round > 0 { best = min(best, (fb_now() - t0) / Double(steps)) }
    }
    return best
}

/// AdamQLR's step against AdamW's (and Lion's, Muon's) on the shipped architecture, batch 4096.
func runOptimizerStepTable(_ options: Options, threads: Int, batch: Int = 4096) -> Table {
    let a = MLPArchitecture(dimension: 2, classCount: 8, width: 256, depth: 2)
    let labels = (0..<batch * 4).map { $0 % 8 }
    guard let data = try? GaussianMixtureModel.eightGaussians.sample(count: labels.count, labels: labels, seed: 2)
    else { fail("data failed") }
    let steps = options.quick ? 3 : 5, rounds = options.quick ? 2 : 5
    let optimizers: [(String, OptimizerConfiguration)] = [("AdamW + CWD", .adamW), ("AdamQLR + CWD", .adamQLR),
                                                          ("Lion + CWD", .lion), ("Muon + CWD", .muon)]
    var seconds: [Double] = []
    for (name, o) in optimizers {
        progress("training step: \(name)")
        seconds.append(trainingStepSeconds(o, architecture: a, data: data, labels: labels, batch: batch, steps: steps,
                                           rounds: rounds))
    }
    var table = Table("Training step cost by optimizer, batch \(batch), \(threads) threads",
                      ["optimizer", "ms / step", "× AdamW"], leftColumns: 1)
    for ((name, _), s) in zip(optimizers, seconds) {
        table.add([name, fmt(1000 * s), fmt(s / seconds[0], 2) + "×"])
    }
    table.notes = ["MLP D 2, 8 classes, width 256, 2 residual blocks (the shipped 8-Gaussians architecture, " +
                   "\(a.parameterCount) parameters); a step = batch draw, forward, backward, update (AdamQLR adds a " +
                   "tangent pass and a trial forward pass). Best of \(rounds) runs of \(steps) steps. Target (issue 7): " +
                   "AdamQLR ≤ 2.5× AdamW."]
    return table
}
