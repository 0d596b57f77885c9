"""The JAX peer: the benchmark protocol written as a JAX user would write it, timed against
nalu_ext's protocol step in the same run (docs/performance.md#the-jax-peer).

    python bench/peers_jax.py [--steps 20000] [--rounds 5] [--ks 1,8,32] [--json FILE]

The peer trains NAU -> NMU and NALU 100 -> 2 -> 1 on ArithmeticTask("mul") exactly as the protocol
does: fresh rows every step (batch 128) from nalu_ext's own counter hash written in jax.numpy (its
threefry generator costs more than nalu_ext's whole step, which would make the comparison one of
generators), Adam (lr 1e-3), the clamps and the sparsity regulariser's schedule of the recipe, and
an evaluation of the 10^4-row validation and test sets every 1000 steps. The steps run under
jax.jit over lax.scan, 1000 steps per call; K seeds are trained at once with jax.vmap, and the
peer's figure is its best K (time per model-step = a call's time / (K · steps)).

Checked before timing: the peer's rows are nalu_ext's (x bit for bit; t to 1e-5 relative, as
the peer sums a and b in float32 where nalu_ext sums them in float64), and one step of the peer from the parameters of nalu_ext's float64 model, on
those rows, gives nalu_ext's parameters after its step to 1e-6 relative. Without JAX the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

import nalu_ext
from nalu_ext import _core
from nalu_ext.benchmark.tasks import ArithmeticTask

try:
    import jax
except ImportError:  # a peer, not a dependency
    jax = None

BATCH, LOG_EVERY, N_EVAL = 128, 1000, 10_000
PHI64, PHI32 = 0x9E3779B97F4A7C15, 0x9E3779B9


def _hash_functions():
    """nalu_ext's task data (cpp/nalu/rng.hpp, cpp/nalu/tasks/uniform.cpp) in jax.numpy."""
    import jax.numpy as jnp

    u64, u32 = jnp.uint64, jnp.uint32

    def mix(z):  # SplitMix64's finaliser
        z = (z ^ (z >> u64(30))) * u64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> u64(27))) * u64(0x94D049BB133111EB)
        return z ^ (z >> u64(31))

    def stream_key(seed, stream):
        return mix(u64(seed) * u64(PHI64) + mix(u64(stream) + u64(0x632BE59BD9B4E019)))

    def fmix32(h):
        h = h ^ (h >> u32(16))
        h = h * u32(0x85EBCA6B)
        h = h ^ (h >> u32(13))
        h = h * u32(0xC2B2AE35)
        return h ^ (h >> u32(16))

    columns = jnp.arange(100, dtype=u32) * u32(PHI32)

    def rows(key, first_row, lo, width):
        """x (BATCH, 100) float32: rows [first_row, first_row + BATCH) of the stream `key`."""
        keys = mix(key + (u64(first_row) + jnp.arange(BATCH, dtype=u64)) * u64(PHI64))
        k0, k1 = keys.astype(u32)[:, None], (keys >> u64(32)).astype(u32)[:, None]
        h = fmix32((columns[None, :] + k0) ^ k1)
        scale = jnp.float32(width) * jnp.float32(2.0 ** -23)
        return jnp.float32(lo) + (h >> u32(9)).astype(jnp.int32).astype(jnp.float32) * scale

    return stream_key, rows


def _models():
    """(forward, regularised, clamp ranges) of NAU -> NMU and NALU -> NALU, on a list of arrays."""
    import jax.numpy as jnp

    def nau_nmu(p, x):
        W1, W2 = jnp.clip(p[0], -1.0, 1.0), jnp.clip(p[1], 0.0, 1.0)
        z = x @ W1.T
        return jnp.prod(W2[None, :, :] * z[:, None, :] + 1.0 - W2[None, :, :], axis=-1)

    def nau_nmu_regulariser(p):
        a1, a2 = jnp.abs(p[0]), p[1]
        return jnp.mean(jnp.minimum(a1, 1.0 - a1)), jnp.mean(jnp.minimum(a2, 1.0 - a2))

    def nalu_layer(x, W_hat, M_hat, G):
        W = jnp.tanh(W_hat) * jax.nn.sigmoid(M_hat)
        g = jax.nn.sigmoid(x @ G.T)
        return g * (x @ W.T) + (1.0 - g) * jnp.exp(jnp.log(jnp.abs(x) + 1e-7) @ W.T)

    def nalu(p, x):
        return nalu_layer(nalu_layer(x, *p[0:3]), *p[3:6])

    return {"NMU": (nau_nmu, nau_nmu_regulariser, [(-1.0, 1.0), (0.0, 1.0)]),
            "NALU": (nalu, None, [None] * 6)}


class Peer:
    """One family's protocol in JAX, for K seeds at once."""

    def __init__(self, family: str, seeds: list) -> None:
        import jax.numpy as jnp
        from jax import lax

        stream_key, rows = _hash_functions()
        forward, regulariser, ranges = _models()[family]
        tasks = [ArithmeticTask("mul", seed=s) for s in seeds]
        specs = [nalu_ext.benchmark.make_run(family, t, seed=s, steps=5_000_000) for t, s in zip(tasks, seeds)]
        models = [nalu_ext.benchmark.sweeps.build_model(spec) for spec in specs]
        self.initial = [[np.array(p) for layer in m.layers for p in layer.params.values()] for m in models]
        masks = np.zeros((len(seeds), 2, 100))
        for k, t in enumerate(tasks):
            masks[k, 0, t.a[0]:t.a[1]], masks[k, 1, t.b[0]:t.b[1]] = 1.0, 1.0
        reg = specs[0]["regularizer"]
        lam, start, end = reg["regularizer"], reg["reg_start"], reg["reg_end"]
        evaluation = [t.validation(N_EVAL, "float32") + t.test(N_EVAL, "float32") for t in tasks]
        self.eval_sets = [jnp.stack([jnp.asarray(e[i]) for e in evaluation]) for i in range(4)]
        self.keys = jnp.asarray([int(stream_key(s, _core.TASK_STREAMS["train"])) for s in seeds], dtype=jnp.uint64)
        self.masks = jnp.asarray(masks, dtype=jnp.float32)
        self.tasks, self.specs = tasks, specs

        def loss(p, x, t, step):
            r = forward(p, x) - t
            value = jnp.mean(r * r)
            if regulariser is not None and lam:
                ramp = jnp.clip((step - start) / max(end - start, 1), 0.0, 1.0) * lam
                value = value + ramp * sum(regulariser(p))
            return value

        grad = jax.grad(loss)

        def batch(key, mask, step):
            x = rows(key, step * BATCH, 1.0, 1.0)
            sums = x @ mask.T  # a and b in float32, as a JAX user would (in float64 the step took 2.5x as long)
            return x, sums[:, :1] * sums[:, 1:]

        def update(state, x, t, step):
            p, m, v = state
            g = grad(p, x, t, step)
            n = (step + 1).astype(p[0].dtype)
            m = [mi + 0.1 * (gi - mi) for mi, gi in zip(m, g)]
            v = [0.999 * vi + 0.001 * gi * gi for vi, gi in zip(v, g)]
            c1, c2 = 1.0 - 0.9 ** n, jnp.sqrt(1.0 - 0.999 ** n)
            p = [pi - (1e-3 / c1) * mi / (jnp.sqrt(vi) / c2 + 1e-8) for pi, mi, vi in zip(p, m, v)]
            p = [pi if r is None else jnp.clip(pi, *r) for pi, r in zip(p, ranges)]
            return p, m, v

        def train_step(state, step, key, mask):
            x, t = batch(key, mask, step)
            return update(state, x, t, step), None

        def chunk(state, first, key, mask, xv, tv, xt, tt):
            state, _ = lax.scan(lambda s, i: train_step(s, i, key, mask), state,
                                first + jnp.arange(LOG_EVERY, dtype=jnp.int64))
            p = state[0]
            return state, (jnp.mean((forward(p, xv) - tv) ** 2), jnp.mean((forward(p, xt) - tt) ** 2))

        self.chunk = jax.jit(jax.vmap(chunk, in_axes=(0, None, 0, 0, 0, 0, 0, 0)))
        self.one_step = jax.jit(lambda state, x, t: update(state, x, t, jnp.int64(0)))
        self.batch = jax.jit(lambda key, mask: batch(key, mask, jnp.int64(0)))

    def fresh_state(self):
        import jax.numpy as jnp
        p = [jnp.stack([jnp.asarray(ps[i]) for ps in self.initial]) for i in range(len(self.initial[0]))]
        return (p, [jnp.zeros_like(a) for a in p], [jnp.zeros_like(a) for a in p])

    def check(self) -> dict:
        """The first seed's rows against nalu_ext's, and one step of the same network from the same
        parameters on the same rows against nalu_ext's step, both in float64 (in float32 the NALU's
        saturated tanh, 1 - tanh² of a value that rounds to 1, and its gate's a - m differ between
        any two implementations by 1e-4 relative: conditioning, not a different step)."""
        import jax.numpy as jnp
        task, spec = self.tasks[0], self.specs[0]
        x, t = _core.task_rows(task.input_size, task.a, task.b, task.op, list(task.interpolation), task.seed,
                               _core.TASK_STREAMS["train"], 0, BATCH, "float32")
        jx, jt = (np.asarray(a) for a in self.batch(self.keys[0], self.masks[0]))
        model = nalu_ext.benchmark.sweeps.build_model(dict(spec, dtype="float64"))
        initial = [jnp.asarray(np.array(p)) for layer in model.layers for p in layer.params.values()]
        x64, t64 = x.astype(np.float64), t.astype(np.float64)
        zeros = [jnp.zeros_like(a) for a in initial]
        stepped = [np.asarray(a) for a in self.one_step((initial, zeros, zeros), jnp.asarray(x64), jnp.asarray(t64))[0]]
        nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=1e-3), x64, t64, steps=1)
        ours = [np.array(p) for layer in model.layers for p in layer.params.values()]
        relative = max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))
                       for a, b in zip(stepped, ours))
        out = {"x_identical": bool(np.array_equal(jx, x)), "t_max_relative": float(np.max(np.abs(jt - t) / np.abs(t))),
               "float64_step_max_relative": relative}
        if not (out["x_identical"] and out["t_max_relative"] < 1e-5 and relative < 1e-6):
            raise SystemExit(f"bench/peers_jax.py: the peer does not compute nalu_ext's step: {out}")
        return out

    def seconds(self, steps: int) -> float:
        """Seconds for `steps` protocol steps of every seed (compiled before the clock starts)."""
        state = self.fresh_state()
        jax.block_until_ready(self.chunk(state, 0, self.keys, self.masks, *self.eval_sets))
        t0 = time.perf_counter()
        for first in range(0, steps, LOG_EVERY):
            state, errors = self.chunk(state, first, self.keys, self.masks, *self.eval_sets)
        jax.block_until_ready(errors)
        return time.perf_counter() - t0


def nalu_ext_us(family: str, steps: int) -> float:
    """µs per step of nalu_ext's protocol (train_task, fresh rows, logs every 1000 steps)."""
    task = ArithmeticTask("mul", seed=0)
    model = nalu_ext.benchmark.sweeps.build_model(nalu_ext.benchmark.make_run(family, task, seed=0, steps=steps))
    t0 = time.perf_counter()
    nalu_ext.benchmark.train_task(model, task, nalu_ext.Adam(model.parameters(), lr=1e-3), steps=steps,
                                  log_every=LOG_EVERY)
    return (time.perf_counter() - t0) / steps * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps per timed run (a multiple of 1000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ks", default="1,8,32", help="seeds trained at once by the peer (jax.vmap)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    if jax is None:
        print("bench/peers_jax.py: JAX is not installed (pip install jax); nothing to compare")
        return 0
    jax.config.update("jax_enable_x64", True)  # the hash's 64-bit keys; every array here says its dtype
    ks = [int(k) for k in args.ks.split(",")]
    report: dict = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "isa": nalu_ext.build_info()["isa"],
                    "jax": jax.__version__, "steps": args.steps, "rounds": args.rounds, "families": {}}
    for family in ("NMU", "NALU"):
        peers = {k: Peer(family, list(range(k))) for k in ks}
        check = peers[ks[0]].check()
        samples: dict = {"nalu_ext": [], **{k: [] for k in ks}}
        nalu_ext_us(family, 2 * LOG_EVERY)  # warm-up: the first run in a process pays for first touches
        for _ in range(args.rounds):  # interleaved: a slow spell of the machine hits every entry alike
            samples["nalu_ext"].append(nalu_ext_us(family, args.steps))
            for k, peer in peers.items():
                samples[k].append(peer.seconds(args.steps) / (k * args.steps) * 1e6)
        medians = {str(k): statistics.median(v) for k, v in samples.items()}
        best = min(ks, key=lambda k: medians[str(k)])
        ratio = medians[str(best)] / medians["nalu_ext"]
        report["families"][family] = {"check": check, "us_per_model_step": medians, "best_k": best,
                                      "peer_over_nalu_ext": ratio, "samples_us": {str(k): v for k, v in samples.items()}}
        label = "NAU -> NMU" if family == "NMU" else "NALU"
        peers_text = ", ".join(f"K={k} {medians[str(k)]:.2f}" for k in ks)
        print(f"{label}: nalu_ext {medians['nalu_ext']:.2f} us per model-step; JAX {peers_text}; "
              f"best K={best}: JAX / nalu_ext = {ratio:.2f}x (check: {check})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
