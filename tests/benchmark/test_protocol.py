"""train_task, the success threshold and the sparsity error."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark.tasks import ArithmeticTask, ToyTask

SMALL_ADD = dict(input_size=10, subset_ratio=0.2)


def nau_nau(seed, dtype="float32"):
    return nalu_ext.Sequential(
        nalu_ext.NAU(10, 2, regularizer=0.01, reg_start=1000, reg_end=3000, seed=seed, dtype=dtype),
        nalu_ext.NAU(2, 1, regularizer=0.01, reg_start=1000, reg_end=3000, seed=seed + 100, dtype=dtype))


def run(seed, steps=20000, log_every=1000, **kwargs):
    model = nau_nau(seed)
    task = ArithmeticTask("add", seed=seed, **SMALL_ADD)
    return nalu_ext.benchmark.train_task(model, task, nalu_ext.Adam(model.parameters(), lr=1e-2), steps=steps,
                               log_every=log_every, **kwargs), model


def test_nau_solves_addition_in_most_seeds_with_exact_sparse_weights():
    """The literature's finding in small: NAU -> NAU solves + in (nearly) every seed. Here 10
    seeds of a 10-input task, 20000 steps at lr 1e-2. Measured: every run reaches the criterion,
    the published selection counts 10 of 10, the final model 6 of 10 (Adam at this learning rate
    keeps the zero weights oscillating around the threshold; see docs/reproduction.md). Asserted: 8 and 4."""
    results = [run(seed)[0] for seed in range(10)]
    assert sum(r.solved_at is not None for r in results) >= 9
    assert sum(r.selected_success for r in results) >= 8, [r.selected_test_mse / r.threshold for r in results]
    wins = [r for r in results if r.success]
    assert len(wins) >= 4, [r.test_mse / r.threshold for r in results]
    for r in wins:
        assert r.test_mse < r.threshold and r.solved_at is not None and r.solved_at <= r.steps
        assert r.sparsity_error < 1e-3
    r = results[0]
    assert r.logged_steps.tolist() == list(range(1000, 20001, 1000))
    assert r.interpolation_mse.shape == r.extrapolation_mse.shape == (20,) and r.train_loss.shape == (20,)


def test_runs_are_deterministic_and_thread_independent():
    first, _ = run(1, steps=3000)
    second, _ = run(1, steps=3000)
    np.testing.assert_array_equal(first.train_loss, second.train_loss)
    np.testing.assert_array_equal(first.extrapolation_mse, second.extrapolation_mse)
    results = [None, None]

    def work(i):
        results[i] = run(1, steps=3000)[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for r in results:
        np.testing.assert_array_equal(r.train_loss, first.train_loss)


def test_stop_when_solved():
    result, _ = run(0, stop_when_solved=True)
    assert result.success and result.steps == result.solved_at < 20000


def nearly_perfect_mse(task, op, eps=1e-5):
    """The published construction, written as a weight matrix: 1 - eps on each subset, eps elsewhere."""
    x, t = task.test(10_000, "float64")
    w = np.full((task.input_size, 2), eps)
    w[task.a[0]:task.a[1], 0] = 1 - eps
    w[task.b[0]:task.b[1], 1] = 1 - eps
    z = x @ w
    return np.mean((op(z[:, 0], z[:, 1]) - t[:, 0]) ** 2)


@pytest.mark.parametrize("name, op", [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                                      ("div", np.divide), ("square", lambda a, b: a * a),
                                      ("sqrt", lambda a, b: np.sqrt(a))])
def test_threshold_is_the_nearly_perfect_models_mse(name, op):
    task = ArithmeticTask(name, seed=3, **SMALL_ADD)
    expected = nearly_perfect_mse(task, op)
    assert expected > 0  # the deviations do not cancel, not even in a - b
    assert nalu_ext.benchmark.success_threshold(task) == pytest.approx(expected, rel=1e-9)


def test_threshold_is_cached_and_defined_for_every_task():
    task = ArithmeticTask("add", seed=0, **SMALL_ADD)
    nalu_ext.benchmark.success_threshold(task)
    from nalu_ext.benchmark import verdicts

    cached = len(verdicts._THRESHOLDS)
    nalu_ext.benchmark.success_threshold(task)
    assert len(verdicts._THRESHOLDS) == cached  # computed once per task, then cached
    toy = ToyTask(seed=0)
    assert 0 < nalu_ext.benchmark.success_threshold(toy) == pytest.approx(nearly_perfect_mse(toy, np.multiply), rel=1e-9)


def test_sparsity_error():
    nau = nalu_ext.NAU(3, 1, dtype="float64")
    nau.params["W"][...] = [[1.0, 0.0, -1.0]]
    assert nalu_ext.benchmark.sparsity_error(nau) == 0.0
    nau.params["W"][...] = [[1.0, 0.5, -1.0]]
    assert nalu_ext.benchmark.sparsity_error(nau) == 0.5
    nmu = nalu_ext.NMU(2, 1, dtype="float64")
    nmu.params["W"][...] = [[0.9, 0.05]]
    assert nalu_ext.benchmark.sparsity_error(nalu_ext.Sequential(nmu)) == pytest.approx(0.1)


def test_result_is_plain_data():
    result, _ = run(2, steps=2000)
    d = json.loads(json.dumps(result.to_dict()))
    assert d["steps"] == 2000 and len(d["extrapolation_mse"]) == 2 and isinstance(d["success"], bool)


def test_bad_arguments():
    task = ArithmeticTask("add", seed=0, **SMALL_ADD)
    wrong = nalu_ext.Sequential(nalu_ext.NAU(3, 1))
    with pytest.raises(ValueError, match="the task needs 10 -> 1"):
        nalu_ext.benchmark.train_task(wrong, task, nalu_ext.Adam(wrong.parameters()), steps=10)
    model = nau_nau(0)
    with pytest.raises(ValueError, match="log_every must be a positive integer"):
        nalu_ext.benchmark.train_task(model, task, nalu_ext.Adam(model.parameters()), steps=10, log_every=0)


def test_published_selection_picks_the_best_validation_model_of_the_last_window_logs():
    from nalu_ext.benchmark.protocol import published_selection

    interp = np.linspace(2.0, 1.0, 150)
    interp[10] = 0.0       # better, but outside the last 100 logs: not eligible
    interp[80] = 0.5       # the best of the last 100
    interp[120] = np.nan   # a non-finite validation MSE is never chosen
    extrap = np.full(150, 9.0)
    extrap[80] = 0.1
    assert published_selection(interp, extrap, threshold=0.2, window=100) == (80, 0.1, True)
    assert published_selection(interp, extrap, threshold=0.05, window=100) == (80, 0.1, False)
    # the default window (the paper's 5000 logs) covers all 150: log 10 is chosen
    assert published_selection(interp, extrap, threshold=0.2) == (10, 9.0, False)
    interp[90] = 0.5       # a tie: the first one
    assert published_selection(interp, extrap, threshold=0.2, window=100)[0] == 80
    index, mse, ok = published_selection([], [], threshold=1.0)
    assert index is None and np.isnan(mse) and not ok


def test_published_selection_of_a_model_whose_test_mse_overflowed():
    """A results file stores an infinite test MSE as null: the selected model then fails (the
    published analysis' replace_na(... < threshold, FALSE)); reading it raised TypeError."""
    from nalu_ext.benchmark.protocol import published_selection

    index, mse, ok = published_selection([3.0, 1.0, None], [2.0, None, 0.0], threshold=5.0)
    assert index == 1 and np.isnan(mse) and not ok
    index, mse, ok = published_selection([3.0, 1.0], [2.0, float("inf")], threshold=5.0)
    assert index == 1 and mse == float("inf") and not ok


def test_the_default_window_spans_a_published_run():
    from nalu_ext.benchmark.protocol import published_selection

    # 5e6 steps logged every 1000: 5000 logs; the paper's script chose among all of them
    interp = np.ones(5000)
    interp[0] = 0.0
    assert published_selection(interp, np.zeros(5000), threshold=1.0)[0] == 0


def test_run_result_carries_the_published_verdict_and_the_sparsity_curve():
    result, model = run(0, steps=5000)
    k = list(result.logged_steps).index(result.selected_step)
    assert result.interpolation_mse[k] == result.interpolation_mse.min()
    assert result.selected_test_mse == result.extrapolation_mse[k]
    assert result.selected_success == (result.selected_test_mse < result.threshold)
    assert result.sparsity_error_curve.shape == result.logged_steps.shape
    assert result.sparsity_error_curve[-1] == result.sparsity_error == nalu_ext.benchmark.sparsity_error(model)
    assert result.selected_sparsity_error == result.sparsity_error_curve[k]


def test_train_loss_is_kept_per_log_not_per_step():
    halves, _ = run(3, steps=4000, log_every=2000)
    whole, _ = run(3, steps=4000, log_every=4000)
    assert halves.train_loss.shape == (2,) and whole.train_loss.shape == (1,)
    # the same steps (data and updates do not depend on the chunking): the halves' means average
    # to the whole run's mean
    assert np.mean(halves.train_loss) == pytest.approx(whole.train_loss[0], rel=1e-12)
    # a results-file record grows with the logs, not with the steps
    assert len(json.dumps(run(3, steps=40_000, log_every=20_000)[0].to_dict())) < 2000
