"""A user's script that touches every public entry point, type-checked by tests/test_types.py with
mypy --strict: what it does must type-check without a cast or an ignore, and the types it gets
back are the real ones (assert_type)."""

from __future__ import annotations

from typing import List

import numpy as np
from typing_extensions import assert_type

import nalu_ext
import nalu_ext.reference
from nalu_ext import benchmark
from nalu_ext.benchmark import stats, summaries
from nalu_ext.benchmark.tasks import ArithmeticTask, SingleModuleTask, ToyTask

units: List[nalu_ext.Layer] = [
    nalu_ext.NAU(4, 2, constraint="clip", regularizer=0.1, reg_start=10, reg_end=20, seed=0),
    nalu_ext.NMU(4, 2, seed=0), nalu_ext.sNMU(4, 2, noise_low=1.0, noise_high=5.0, seed=0),
    nalu_ext.NRU(4, 2, seed=0), nalu_ext.NMRU(4, 2, sign_retrieval=True, seed=0),
    nalu_ext.iNALU(4, 2, gate="input", regularizer_form="nalm-benchmark", seed=0),
    nalu_ext.Linear(4, 2, bias=False, seed=0), nalu_ext.Dense(4, 2, activation="tanh", seed=0),
    nalu_ext.NAC(4, 2, seed=0), nalu_ext.NACMul(4, 2, eps=1e-7, seed=0), nalu_ext.PosNACMul(4, 2, seed=0),
    nalu_ext.NACMulNMU(4, 2, eps=1e-7, constraint="clip", seed=0),
    nalu_ext.NALU(4, 2, gate="scalar", separate_weights=True, base="golden-ratio", dtype="float64", seed=0),
    nalu_ext.GatedNAUNMU(4, 2, constraint="clip", regularizer=10.0, seed=0),
    nalu_ext.NPU(4, 2, seed=0), nalu_ext.RealNPU(4, 2, seed=0),
    nalu_ext.NaiveNPU(4, 2, seed=0), nalu_ext.RealNaiveNPU(4, 2, regularizer=1e-3, seed=0),
]
assert_type(nalu_ext.NAU(4, 2), nalu_ext.NAU)
assert sorted(type(u).__name__ for u in units) == sorted(nalu_ext.UNITS)

x = np.random.default_rng(0).uniform(1, 2, size=(64, 4)).astype(np.float32)
y = x[:, :1] * x[:, 1:2]
layer = nalu_ext.NAU(4, 2, seed=1)
out: np.ndarray = layer(x)
dx = layer.backward(np.ones_like(out))
model = nalu_ext.Sequential(nalu_ext.NAU(4, 2, seed=1), nalu_ext.NMU(2, 1, seed=2))
optimizers = [nalu_ext.SGD(model.parameters(), lr=0.1), nalu_ext.RMSprop(model.parameters(), lr=0.01),
              nalu_ext.Adam(model.parameters(), lr=0.01, clip_norm=1.0)]
loss: float = model.train_step(x, y, optimizers[-1])
history = nalu_ext.fit(model, optimizers[-1], x, y, steps=20, batch_size=16, seed=0)
assert_type(history, nalu_ext.History)
model.save("typed-model.npz", optimizer=optimizers[-1])
again = nalu_ext.load("typed-model.npz")
assert_type(again, nalu_ext.Sequential)
restored, restored_optimizer = nalu_ext.load_checkpoint("typed-model.npz")
info = nalu_ext.build_info()
errors = (nalu_ext.TrainingDiverged, nalu_ext.ModelFileError)
weight: np.ndarray = nalu_ext.reference.nac_weight(np.zeros((2, 2)), np.zeros((2, 2)))

task = ArithmeticTask("mul", seed=0)
tasks = [task, ToyTask(seed=0), SingleModuleTask("add", (1.0, 2.0), (2.0, 6.0), seed=0)]
threshold: float = benchmark.success_threshold(task)
network = nalu_ext.Sequential(nalu_ext.NAU(100, 2, seed=0), nalu_ext.NMU(2, 1, seed=1))
result = benchmark.train_task(network, task, nalu_ext.Adam(network.parameters()), steps=10, log_every=5, n_eval=100)
assert_type(result, benchmark.RunResult)
runs = [benchmark.make_run("NAU", ArithmeticTask("add", seed=s), seed=s, steps=100, reg_start=10, reg_end=50)
        for s in range(2)]
summary = benchmark.sweep(runs, results="typed-runs.jsonl", progress=False)
assert_type(summary, benchmark.SweepSummary)
counted = benchmark.sweep(runs, results="typed-runs.jsonl", progress=False, summarize=len)
assert_type(counted, int)
records = benchmark.read_results("typed-runs.jsonl")
written = summaries.summarize_into(["typed-runs.jsonl"], "typed-summaries")
rate, low, high = stats.wilson_interval(3, 10)
recipe: benchmark.Recipe = benchmark.RECIPES["NMU"]
