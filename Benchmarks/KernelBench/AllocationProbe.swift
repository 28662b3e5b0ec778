// `flowguide-bench --alloc-probe STEPS`: one sampling run of an MLP model (CFG + MG, Heun) and
// nothing else, for counting heap allocations under valgrind:
//
//   valgrind flowguide-bench --alloc-probe 8  2>&1 | grep 'total heap usage'
//   valgrind flowguide-bench --alloc-probe 32 2>&1 | grep 'total heap usage'
//
// Equal counts mean the steady-state step loop allocates nothing (the model's buffers come from
// its pool, warmed by a first run before the measured one).

import FlowGuide

func runAllocationProbe(steps: Int) {
    do {
        let model = try MLPVelocityModel(architecture: MLPArchitecture(dimension: 4, classCount: 3, width: 16, depth: 2),
                                         seed: 1)
        for run in [2, steps] {  // the first run warms the model's workspace pool
            let guidance = Guidance(combiner: .cfg, scale: .constant(2), momentum: MomentumGuidance())
            let sampler = Sampler(model: model, options: SamplerOptions(grid: try .uniform(steps: run),
                                                                        solver: .heun, guidance: guidance))
            let result = try sampler.sample(SamplingRequest(count: 64, labels: [1]))
            print("alloc-probe: \(run) steps, NFE \(result.nfe)")
        }
    } catch {
        fail("alloc-probe: \(error)")
    }
}
