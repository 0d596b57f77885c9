"""The benchmark tasks' data (counter-based, deterministic) and the success statistics."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from nalu_ext.benchmark import stats, tasks

ISA_INDEPENDENT = True  # data generation and statistics use no unit kernels


@pytest.mark.parametrize("op", tasks.OPS)
def test_targets_follow_the_definition(op):
    task = tasks.ArithmeticTask(op, seed=3)
    x, t = task.batch(0, 64, dtype="float64")
    assert x.shape == (64, 100) and t.shape == (64, 1)
    # sums of 25 terms near 37: summation order moves the last bits (|a - b| can be far smaller)
    np.testing.assert_allclose(t[:, 0], task.target(x), rtol=1e-14, atol=1e-12)
    assert x.min() >= 1.0 and x.max() < 2.0
    xt, _ = task.test(500)
    assert xt.min() >= 2.0 and xt.max() < 6.0


def test_float32_targets_are_computed_from_the_float32_inputs():
    task = tasks.ToyTask(seed=1)
    x, t = task.batch(5, 32, dtype="float32")
    assert x.dtype == t.dtype == np.float32
    np.testing.assert_allclose(t[:, 0], task.target(x).astype(np.float32), rtol=1e-6)


def test_a_division_never_draws_a_zero_denominator_and_other_rows_keep_their_values():
    """float32 values lie on a grid of 2^-23 of the width, which holds 0 in U[-2, 2): the ÷ stream of
    seed 0 drew x2 = 0 in row 87 of step 44317 and trained on an infinite target (a "divergence" in
    14 of 25 single-module runs). That row alone is drawn again; × keeps the grid's 0."""
    def batch(op):
        task = tasks.SingleModuleTask(op, [[-2.0, 2.0]], [[-6.0, -2.0], [2.0, 6.0]], seed=0)
        return task.batch(44317, 128, dtype="float32")

    x_mul, _ = batch("mul")
    x_div, t_div = batch("div")
    assert np.count_nonzero(x_mul[:, 1] == 0.0) == 1  # the grid's 0 is drawn where no division is made
    changed = np.flatnonzero((x_div != x_mul).any(axis=1))
    assert changed.tolist() == np.flatnonzero(x_mul[:, 1] == 0.0).tolist()
    assert np.all(x_div[:, 1] != 0.0) and np.all(np.isfinite(t_div))
    assert -2.0 <= x_div[changed, 1].min() and x_div[changed, 1].max() < 2.0


def test_protocol_subsets():
    task = tasks.ArithmeticTask("mul", seed=0)
    (a0, a1), (b0, b1) = task.a, task.b
    assert a1 - a0 == 25 and b1 - b0 == 25 and a1 - b0 == 12  # 25 each, 12 shared
    assert 0 <= a0 and b1 <= 100
    offsets = {tasks.ArithmeticTask("mul", seed=s).a[0] for s in range(20)}
    assert len(offsets) > 5  # the placement depends on the seed


def test_overlap_ratio_one_makes_b_the_subset_of_a_as_the_published_overlap_study():
    task = tasks.ArithmeticTask("mul", overlap_ratio=1.0, seed=3, threshold_rule="published")
    assert task.a == task.b and task.a[1] - task.a[0] == 25
    assert task.threshold_subsets == ((0, 26), (0, 26))  # R's inclusive W[a.start:a.end], twice
    x, t = task.validation(50, "float64")
    a = x[:, task.a[0]:task.a[1]].sum(axis=1)
    np.testing.assert_allclose(t[:, 0], a * a, rtol=1e-12)
    with pytest.raises(ValueError, match="0 <= overlap_ratio <= 1"):
        tasks.ArithmeticTask("mul", overlap_ratio=1.5)


def test_same_seed_same_data_and_rows_are_independent_of_batching():
    a, b = tasks.ArithmeticTask("add", seed=7), tasks.ArithmeticTask("add", seed=7)
    np.testing.assert_array_equal(a.batch(3, 16)[0], b.batch(3, 16)[0])
    assert not np.array_equal(a.batch(3, 16)[0], tasks.ArithmeticTask("add", seed=8).batch(3, 16)[0])
    assert not np.array_equal(a.batch(3, 16)[0], a.batch(4, 16)[0])  # fresh rows every step
    big = a.batch(0, 64)[0]
    halves = np.concatenate([a.batch(0, 32)[0], a.batch(1, 32)[0]])
    np.testing.assert_array_equal(big, halves)
    np.testing.assert_array_equal(a.validation(100)[0], b.validation(100)[0])
    assert not np.array_equal(a.validation(100)[0], a.batch(0, 100)[0])


def test_generation_does_not_depend_on_threads():
    task = tasks.ArithmeticTask("mul", seed=1)
    serial = [task.batch(k, 256, "float64")[0] for k in range(8)]
    results = [None] * 8

    def work(k: int) -> None:
        results[k] = task.batch(k, 256, "float64")[0]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for s, r in zip(serial, results):
        np.testing.assert_array_equal(s, r)


def test_data_are_the_same_bits_on_every_isa():
    """A run's data must not depend on the machine: each ISA's generator kernels write the same bits,
    inputs and targets (no FMA contraction; [0.1, 0.2] has a width where a fused multiply-add would round differently)."""
    from nalu_ext import _core

    cases = [tasks.ArithmeticTask("mul", seed=4),
             tasks.SingleModuleTask("div", (0.1, 0.2), (0.2, 2.0), seed=1),
             tasks.ArithmeticTask("add", input_size=300, subset_ratio=0.1, extrapolation=[(-6, -2), (2, 6)], seed=2)]
    before = _core.build_info()["isa"]
    outputs = {}
    try:
        for isa in _core.build_info()["isas"]:
            _core.set_isa(isa)
            # inputs and targets; 67 rows: the targets' rows summed eight side by side and the rest
            outputs[isa] = [task.batch(3, 64, dtype) + task.test(67, dtype)
                            for task in cases for dtype in ("float32", "float64")]
    finally:
        _core.set_isa(before)
    reference = outputs.pop("baseline")
    for other in outputs.values():
        for expected, got in zip(reference, other):
            for e, g in zip(expected, got):
                np.testing.assert_array_equal(e, g)
    wide = cases[2].test(64, "float64")[0]  # drawn in chunks of 128 columns: no chunk repeats another
    assert not np.array_equal(np.abs(wide[:, :128]), np.abs(wide[:, 128:256]))


def test_union_ranges_are_sampled_from_every_interval():
    interp, extrap = tasks.SingleModuleTask.RANGES[4]
    task = tasks.SingleModuleTask("mul", interp, extrap, seed=0)
    x, _ = task.test(4000, "float64")
    assert np.all((np.abs(x) >= 2.0) & (np.abs(x) < 6.0))
    assert (x < 0).mean() == pytest.approx(0.5, abs=0.05)
    assert len(tasks.SingleModuleTask.RANGES) == 9


def test_uniformity(rng):
    x, _ = tasks.ArithmeticTask("add", seed=2).batch(0, 2000, "float64")
    u = (x.ravel() - 1.0)
    hist, _ = np.histogram(u, bins=10, range=(0, 1))
    assert np.all(np.abs(hist / u.size - 0.1) < 0.01)  # 200000 values: 10% per bin within 1%
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01  # neighbours uncorrelated


# Every range of the single-module benchmark (interpolation ranges as training streams, the union
# as a test stream) in float32, the training dtype, and a few in float64.
STAT_CASES = ([(r, "float32") for r, _ in tasks.SingleModuleTask.RANGES]
              + [([(-6.0, -2.0), (2.0, 6.0)], "float32"), ((1.0, 2.0), "float64"),
                 ((-2.0, 2.0), "float64"), ([(-6.0, -2.0), (2.0, 6.0)], "float64")])


def uniform_cdf(values: np.ndarray, intervals) -> np.ndarray:
    """The CDF of the uniform distribution on a union of disjoint intervals (by length)."""
    total = sum(hi - lo for lo, hi in intervals)
    return sum(np.clip(values - lo, 0.0, hi - lo) for lo, hi in intervals) / total


@pytest.mark.parametrize("interval,dtype", STAT_CASES, ids=lambda v: str(v))
def test_statistics_of_the_data(interval, dtype):
    """2·10⁶ values of one range: mean and variance within 4.5 standard errors of the uniform
    distribution's, a Kolmogorov–Smirnov distance below its 0.1% critical value, and neighbouring
    columns and rows uncorrelated (|r| within 4.5/√n)."""
    union = isinstance(interval, list)
    task = tasks.ArithmeticTask("add", interpolation=(1.0, 2.0) if union else interval,
                                extrapolation=interval if union else (2.0, 6.0), seed=11)
    rows = 20_000
    x = (task.test(rows, dtype) if union else task.batch(3, rows, dtype))[0].astype(np.float64)
    intervals = interval if union else [interval]
    v, n = x.ravel(), x.size
    # the uniform distribution's moments on the union: mean, variance, E[(X − mean)⁴]
    total = sum(hi - lo for lo, hi in intervals)
    mean = sum((hi ** 2 - lo ** 2) / 2 for lo, hi in intervals) / total
    second = sum((hi ** 3 - lo ** 3) / 3 for lo, hi in intervals) / total
    var = second - mean ** 2
    assert abs(v.mean() - mean) < 4.5 * np.sqrt(var / n)
    centred4 = sum(((hi - mean) ** 5 - (lo - mean) ** 5) / 5 for lo, hi in intervals) / total
    assert abs(v.var() - var) < 4.5 * np.sqrt((centred4 - var ** 2) / n)
    ks = np.max(np.abs(uniform_cdf(np.sort(v), intervals) - np.arange(1, n + 1) / n))
    assert ks < 1.95 / np.sqrt(n)  # the 0.1% critical value of the KS statistic
    limit = 4.5 / np.sqrt(n)
    assert abs(np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1]) < limit  # columns
    assert abs(np.corrcoef(x[:-1].ravel(), x[1:].ravel())[0, 1]) < limit      # rows
    # within the range's ends as the dtype stores them (rounding can reach the upper end itself)
    ends = np.array([min(lo for lo, _ in intervals), max(hi for _, hi in intervals)]).astype(dtype)
    assert v.min() >= ends[0] and v.max() <= ends[1]


def test_float32_values_on_the_training_range_are_equally_likely():
    """On [1, 2) every float32 value must be as likely as any other (as float64 draws rounded to
    float32 are): a draw that rounds to the nearest even mantissa would set the lowest mantissa
    bit in a quarter of the values, not half."""
    x = tasks.ArithmeticTask("add", seed=5).batch(0, 20_000, "float32")[0]
    assert x.min() >= 1.0 and x.max() < 2.0
    lowest_bit = (x.view(np.uint32) & 1).mean()
    assert abs(lowest_bit - 0.5) < 4.5 * 0.5 / np.sqrt(x.size)
    mantissas = (x.view(np.uint32) & 0x7FFFFF).astype(np.float64) / 2**23
    hist, _ = np.histogram(mantissas, bins=64, range=(0, 1))
    assert np.all(np.abs(hist / x.size - 1 / 64) < 4.5 * np.sqrt(1 / 64 / x.size))


def test_bad_arguments():
    with pytest.raises(ValueError, match="op must be one of"):
        tasks.ArithmeticTask("pow")
    with pytest.raises(ValueError, match="non-negative ranges"):
        tasks.SingleModuleTask("sqrt", (-2.0, -1.0), (-6.0, -2.0))
    with pytest.raises(ValueError, match="finite lo < hi"):
        tasks.ToyTask(interpolation=(2.0, 1.0))
    with pytest.raises(ValueError, match="overlap"):
        tasks.ToyTask(extrapolation=[(1.0, 3.0), (2.0, 4.0)])
    with pytest.raises(ValueError, match="do not fit"):
        tasks.ArithmeticTask("add", input_size=10, subset_ratio=0.9)
    with pytest.raises(ValueError, match="step must be an integer >= 0"):
        tasks.ToyTask().batch(-1, 8)


def test_the_benchmark_generation_timer_checks_its_arguments():
    """_core._seconds_to_generate (bench/protocol_runs.py's timer of the data alone) refuses what
    generate would misuse, with the reason."""
    from nalu_ext import _core

    t = tasks.ArithmeticTask("mul", seed=0)
    args = (t.input_size, t.a, t.b, t.op, list(t.interpolation), t.seed)
    assert _core._seconds_to_generate(*args, 128, 3, "float32") >= 0.0
    with pytest.raises(TypeError, match="dtype must be 'float32' or 'float64', got 'int8'"):
        _core._seconds_to_generate(*args, 128, 3, "int8")
    with pytest.raises(ValueError, match="batch must be > 0"):
        _core._seconds_to_generate(*args, 0, 3, "float32")
    with pytest.raises(ValueError, match="every interval needs lo < hi"):
        _core._seconds_to_generate(t.input_size, t.a, t.b, t.op, [(2.0, 1.0)], t.seed, 128, 3, "float32")


def test_tasks_are_plain_data():
    import json

    task = tasks.SingleModuleTask("div", *tasks.SingleModuleTask.RANGES[4], seed=5)
    again = tasks.task_from_dict(json.loads(json.dumps(task.to_dict())))
    assert again == task
    np.testing.assert_array_equal(again.test(50)[0], task.test(50)[0])


def test_wilson_interval_known_values():
    # Wilson score 95% intervals (z = 1.96) from the literature's tables.
    rate, lo, hi = stats.wilson_interval(8, 10)
    assert rate == 0.8 and lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert stats.wilson_interval(0, 10)[1:] == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert stats.wilson_interval(10, 10)[1:] == (pytest.approx(0.7225, abs=1e-4), pytest.approx(1.0))
    with pytest.raises(ValueError):
        stats.wilson_interval(3, 2)
    for runs in range(1, 60):  # the ends are exact, never a rounding error past the rate
        assert stats.wilson_interval(0, runs)[1] == 0.0 and stats.wilson_interval(runs, runs)[2] == 1.0


@pytest.mark.parametrize("n, k", [(10, 2), (20, 6), (100, 40)])  # textbook tables (e.g. Conover, Table A3)
def test_median_interval_is_the_order_statistics_of_the_binomial_table(n, k):
    values = np.random.default_rng(n).permutation(np.arange(1.0, n + 1))
    assert stats.median_interval(values) == (k, n + 1 - k)


def test_median_interval_coverage_is_the_largest_k_still_at_95_percent():
    def coverage(n, k):
        return 1 - 2 * sum(math.comb(n, j) for j in range(k)) / 2**n
    for n in range(6, 60):
        k = int(stats.median_interval(np.arange(1.0, n + 1))[0])
        assert coverage(n, k) >= 0.95 > coverage(n, k + 1), n
    assert stats.median_interval([5.0, 3.0]) == (3.0, 5.0)  # too few for 95%: min and max
    with pytest.raises(ValueError, match="at least one"):
        stats.median_interval([])


def test_summary_counts_only_successful_runs():
    s = stats.summarize([True, False, True, True], [1000, None, 3000, 2000], [0.01, 0.5, 0.03, 0.02])
    assert s["runs"] == 4 and s["successes"] == 3 and s["rate"] == 0.75 and s["reached"] == 3
    assert s["solved_at_median"] == 2000 and s["solved_at_mean"] == 2000
    assert s["solved_at_interval"] == (1000, 3000)
    assert s["sparsity_error_mean"] == pytest.approx(0.02)
    # an unknown sparsity (nan) is left out of the mean, and none known gives None
    assert stats.summarize([True, True], [1, 1], [float("nan"), 0.2])["sparsity_error_mean"] == 0.2
    assert stats.summarize([True], [1], [float("nan")])["sparsity_error_mean"] is None
    none = stats.summarize([False], [None], [0.4])
    assert none["solved_at_median"] is None and none["sparsity_error_mean"] is None
    # a run that met the criterion at a logged step but ended above it: reached, not a success
    lapsed = stats.summarize([False, True], [5000, 7000], [0.3, 0.01])
    assert lapsed["reached"] == 2 and lapsed["successes"] == 1 and lapsed["solved_at_median"] == 7000


def _numpy_training_rows(seed: int, first_row: int, rows: int, lo: float, width: float) -> np.ndarray:
    """The float32 training rows of 100 inputs on one interval, transcribed from cpp/nalu/rng.hpp
    and cpp/nalu/tasks/uniform.hpp into NumPy: a row key per row (SplitMix64's finaliser), a 32-bit
    Murmur3 finaliser of each column's Weyl value mixed with it, its top 23 bits scaled."""
    u64, u32 = np.uint64, np.uint32
    phi64, phi32 = u64(0x9E3779B97F4A7C15), u32(0x9E3779B9)

    def mix(z: np.ndarray) -> np.ndarray:
        z = (z ^ (z >> u64(30))) * u64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> u64(27))) * u64(0x94D049BB133111EB)
        return z ^ (z >> u64(31))

    with np.errstate(over="ignore"):
        key = mix(u64(seed) * phi64 + mix(np.array(tasks.TRAIN_STREAM, dtype=u64) + u64(0x632BE59BD9B4E019)))
        keys = mix(key + (u64(first_row) + np.arange(rows, dtype=u64)) * phi64)
        h = (np.arange(100, dtype=u32) * phi32)[None, :] + keys.astype(u32)[:, None]
        h ^= (keys >> u64(32)).astype(u32)[:, None]
        h ^= h >> u32(16)
        h *= u32(0x85EBCA6B)
        h ^= h >> u32(13)
        h *= u32(0xC2B2AE35)
        h ^= h >> u32(16)
    scale = np.float32(width) * np.float32(2.0 ** -23)
    return np.float32(lo) + (h >> u32(9)).astype(np.float32) * scale


@pytest.mark.parametrize("lo, width", [(0.5, 0.5), (2.0, 2.0), (0.125, 0.125), (1024.0, 1024.0),  # binades
                                       (1.0, 2.0), (-2.0, 1.0), (2.0, 4.0), (0.1, 0.1)])           # and not
def test_every_interval_is_the_transcribed_formula_whichever_path_makes_it(lo, width):
    """One binade [2^e, 2^(e+1)) is made by an OR into 2^e's exponent (uniform.cpp), every other
    interval by lo + k·(width·2⁻²³): both are the transcription's lo + k·scale, bit for bit."""
    task = tasks.ArithmeticTask("add", interpolation=(lo, lo + width), seed=5)
    np.testing.assert_array_equal(task.batch(3, 64)[0], _numpy_training_rows(5, 3 * 64, 64, lo, width))


def test_training_data_are_the_generator_transcribed_into_numpy():
    for seed, step in ((0, 0), (7, 12345), (2**40 + 3, 4_999_999)):
        task = tasks.ArithmeticTask("add", seed=seed)
        x, t = task.batch(step, 128)
        expected = _numpy_training_rows(seed, step * 128, 128, 1.0, 1.0)
        np.testing.assert_array_equal(x, expected)
        (a0, a1), (b0, b1) = task.a, task.b
        np.testing.assert_allclose(t[:, 0], expected[:, a0:a1].sum(1, dtype=np.float64)
                                   + expected[:, b0:b1].sum(1, dtype=np.float64), rtol=1e-6)


# What DATA_VERSION 1 generates, as a SHA-256 of a few tasks' training, validation and test rows in
# both dtypes (a division task that redraws zero denominators, the toy task, a range across 0). A
# change to the generator that fails this test changes the task data: bump tasks.DATA_VERSION, and
# re-record the digest, so that no run made on the old data is resumed as a run of the new.
DATA_VERSION_DIGESTS = {1: "4d2b926dfdc9d575f8255c25c0d0df9bd95981e0dd67b8dce09d3976592d566f"}


def test_the_task_data_are_those_of_their_version():
    import hashlib

    cases = [tasks.ArithmeticTask("add", seed=0), tasks.ArithmeticTask("div", seed=7), tasks.ToyTask(seed=3),
             tasks.SingleModuleTask("sub", (-2.0, 2.0), (-6.0, -2.0), seed=11)]
    digest = hashlib.sha256()
    for task in cases:
        for dtype in ("float32", "float64"):
            for array in task.batch(12345, 128, dtype) + task.validation(40, dtype) + task.test(40, dtype):
                digest.update(np.ascontiguousarray(array).tobytes())
    assert digest.hexdigest() == DATA_VERSION_DIGESTS[tasks.DATA_VERSION]


def test_a_description_of_other_task_data_is_refused():
    description = tasks.ArithmeticTask("add", seed=1).to_dict()
    assert "data_version" not in description  # version 1: the ids of every earlier run stay
    with pytest.raises(ValueError, match="task data version 2; this nalu_ext generates version 1"):
        tasks.task_from_dict({**description, "data_version": 2})
