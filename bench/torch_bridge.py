"""One training step of a NALU 100 -> 2 -> 1 (batch 128, float32, MSE, Adam) three ways, timed in
one run: nalu_ext.torch's modules (the C++ kernels inside PyTorch's autograd, torch.optim.Adam),
the same network written in plain PyTorch (autograd, torch.optim.Adam), and nalu_ext alone
(Sequential.train_step, the C++ Adam). Needs torch (pip install torch==2.13.0).

    python bench/torch_bridge.py [--rounds 7] [--steps 2000] [--json FILE]

Each round times every variant for --steps steps, interleaved; medians over the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


import nalu_ext
from nalu_ext.benchmark.tasks import ArithmeticTask
from torch_recipe import transcriptions  # bench/, beside this script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    try:
        import torch
        import nalu_ext.torch as nt
    except ImportError:
        print("needs PyTorch: pip install torch==2.13.0", file=sys.stderr)
        return 1
    torch.set_num_threads(1)
    task = ArithmeticTask("mul", seed=0)
    x_np, t_np = task.batch(0, 128, "float32")
    x, t = torch.from_numpy(x_np), torch.from_numpy(t_np)

    bridge = torch.nn.Sequential(nt.NALU(100, 2, seed=0), nt.NALU(2, 1, seed=1))
    bridge_opt = torch.optim.Adam(bridge.parameters(), lr=1e-3)
    params = [{n: p.detach().clone().requires_grad_() for n, p in m.named_parameters()} for m in bridge]
    plain_nalu = transcriptions(torch)["NALU"]["forward"]  # stable-nalu's NALU in plain PyTorch
    plain_opt = torch.optim.Adam([p for layer in params for p in layer.values()], lr=1e-3)
    native = nalu_ext.Sequential(nalu_ext.NALU(100, 2, seed=0), nalu_ext.NALU(2, 1, seed=1))
    native_opt = nalu_ext.Adam(native.parameters(), lr=1e-3)

    def bridge_step():
        bridge_opt.zero_grad()
        ((bridge(x) - t) ** 2).mean().backward()
        bridge_opt.step()

    def plain_step():
        plain_opt.zero_grad()
        y = x
        for layer_params in params:
            y = plain_nalu(y, layer_params)
        ((y - t) ** 2).mean().backward()
        plain_opt.step()

    def native_step():
        native.train_step(x_np, t_np, native_opt)

    variants = {"nalu_ext.torch": bridge_step, "plain PyTorch": plain_step, "nalu_ext": native_step}
    times = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, step in variants.items():
            step()  # warm
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            times[name].append((time.perf_counter() - start) / args.steps * 1e6)
    medians = {name: statistics.median(v) for name, v in times.items()}
    for name, us in medians.items():
        print(f"{name:15s} {us:8.1f} µs/step (median of {args.rounds} rounds of {args.steps} steps)")
    ratio = medians["plain PyTorch"] / medians["nalu_ext.torch"]
    print(f"plain PyTorch / nalu_ext.torch: {ratio:.2f}x; nalu_ext.torch / nalu_ext: "
          f"{medians['nalu_ext.torch'] / medians['nalu_ext']:.1f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"date": time.strftime("%Y-%m-%d"), "torch": torch.__version__, "isa": nalu_ext.build_info()["isa"],
                       "median_us_per_step": medians, "rounds_us_per_step": times,
                       "plain_over_bridge": ratio}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
