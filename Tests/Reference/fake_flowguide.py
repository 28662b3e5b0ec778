#!/usr/bin/env python3
"""A stand-in for the `flowguide` executable, to test compare_cli.py before the real CLI exists.

    fake_flowguide.py models --json NAME      prints a test mixture (NOT the real built-ins)
    fake_flowguide.py sample FLAGS...         reference_sampler.run(FLAGS + --emulate-float32)

`sample` rounds every stored array to float32, so compare_cli.py sees float32-like errors.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_sampler as rs  # noqa: E402


def test_models(name):
    if name == "eight-gaussians":
        ang = 2 * np.pi * np.arange(8) / 8
        means = np.stack([4 * np.cos(ang), 4 * np.sin(ang)], axis=1)
        return rs.Mixture(np.ones(8), means, np.full(8, 0.3), np.arange(8))
    if name == "mixture64":
        rng = np.random.default_rng(64)
        return rs.Mixture(rng.uniform(0.5, 1.5, 16), rng.normal(0, 1.0, (16, 64)),
                          rng.uniform(0.2, 0.5, 16), np.arange(16) % 8)
    if name == "ring25":
        ang = 2 * np.pi * np.arange(25) / 25
        means = np.stack([3 * np.cos(ang), 3 * np.sin(ang)], axis=1)
        return rs.Mixture(np.ones(25), means, np.full(25, 0.1), np.arange(25) % 5)
    raise SystemExit(f"unknown model {name}")


def main(argv):
    if argv[:2] == ["models", "--json"]:
        print(json.dumps(test_models(argv[2]).to_dict()))
        return 0
    if argv[:1] == ["sample"]:
        rs.run(argv[1:] + ["--emulate-float32"])
        return 0
    print("usage: fake_flowguide.py models --json NAME | sample FLAGS", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
