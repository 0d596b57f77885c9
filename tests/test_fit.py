"""fit: the C++ loop against train_step, determinism, callbacks, progress, divergence."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
from problems import overflowing_nalu


def setup(dtype="float64", seed=0):
    model = nalu_ext.Sequential(nalu_ext.NALU(3, 2, seed=seed, dtype=dtype), nalu_ext.NAC(2, 1, seed=seed + 1, dtype=dtype))
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 2.0, size=(40, 3)).astype(dtype)
    y = (x[:, :1] * x[:, 1:2] + x[:, 2:]).astype(dtype)
    return model, x, y


@pytest.mark.parametrize("loss", ["mse", "sse"])
def test_full_batch_fit_equals_train_step_loop_exactly(loss):
    a, x, y = setup()
    b, _, _ = setup()
    opt_a, opt_b = nalu_ext.Adam(a.parameters(), lr=0.01), nalu_ext.Adam(b.parameters(), lr=0.01)
    history = nalu_ext.fit(a, opt_a, x, y, steps=300, loss=loss)
    losses = [b.train_step(x, y, opt_b, loss=loss) for _ in range(300)]
    np.testing.assert_array_equal(history.loss, losses)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    assert history.steps == 300 and history.loss.shape == (300,)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_same_results_different_seed_different(dtype):
    runs = []
    for seed in (11, 11, 12):
        model, x, y = setup(dtype)
        h = nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.01), x, y, steps=200,
                         batch_size=8, seed=seed)
        runs.append((h.loss, [p.copy() for p in model.parameters()]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    for p, q in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(runs[0][0], runs[2][0])


def test_result_does_not_depend_on_chunking():
    """Callbacks cut the C++ loop into chunks; the sampler state carries over exactly."""
    results = []
    for every in (1, 7, 1000):
        model, x, y = setup()
        h = nalu_ext.fit(model, nalu_ext.SGD(model.parameters(), lr=0.01), x, y, steps=100,
                         batch_size=6, seed=3, callback=lambda s, l: None, callback_every=every)
        results.append(h.loss)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_unshuffled_minibatches_walk_the_rows_in_order():
    model, x, y = setup()
    opt = nalu_ext.SGD(model.parameters(), lr=0.0)  # parameters stay: each loss is one batch's
    h = nalu_ext.fit(model, opt, x, y, steps=10, batch_size=8, shuffle=False)
    pred = model.forward(x)
    per_row = ((pred - y) ** 2)[:, 0]
    expected = [per_row[(8 * s) % 40:(8 * s) % 40 + 8].mean() for s in range(10)]
    np.testing.assert_allclose(h.loss, expected, rtol=1e-13)


def test_shuffled_epochs_use_every_row_once():
    model, x, y = setup()
    opt = nalu_ext.SGD(model.parameters(), lr=0.0)
    h = nalu_ext.fit(model, opt, x, y, steps=5, batch_size=8, seed=1, loss="sse")  # one epoch
    per_row = ((model.forward(x) - y) ** 2)[:, 0]
    assert h.loss.sum() == pytest.approx(per_row.sum(), rel=1e-12)


def test_callback_is_called_every_n_steps_and_can_stop():
    model, x, y = setup()
    calls = []

    def callback(step, loss):
        calls.append((step, loss))
        return step < 30

    h = nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.01), x, y, steps=100,
                     callback=callback, callback_every=10)
    assert [s for s, _ in calls] == [10, 20, 30]
    assert h.steps == 30 and h.stopped_early and len(h.loss) == 30
    assert calls[-1][1] == h.loss[-1]


def test_progress_bar_runs(capsys):
    model, x, y = setup()
    h = nalu_ext.fit(model, nalu_ext.Adam(model.parameters(), lr=0.01), x, y, steps=50, progress=True)
    assert h.steps == 50
    assert "50/50" in capsys.readouterr().err


def test_fit_accepts_a_single_layer():
    layer = nalu_ext.NAC(2, 1, seed=0, dtype="float64")
    x = np.random.default_rng(0).uniform(size=(20, 2))
    h = nalu_ext.fit(layer, nalu_ext.Adam(list(layer.params.values()), lr=0.05), x, x.sum(1, keepdims=True), steps=200)
    assert h.loss[-1] < h.loss[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_divergence_raises_names_the_step_and_keeps_finite_model(dtype):
    model, x, y = overflowing_nalu(dtype)
    calm, _, _ = overflowing_nalu(dtype)
    stable = nalu_ext.fit(calm, nalu_ext.SGD(calm.parameters(), lr=1e-40), x, y, steps=20)
    assert np.isfinite(stable.loss).all()  # the problem is fine at a small learning rate
    with pytest.raises(nalu_ext.TrainingDiverged) as info:
        nalu_ext.fit(model, nalu_ext.SGD(model.parameters(), lr=1.0), x, y, steps=1000)
    err = info.value
    assert f"at step {err.step}" in str(err) and not np.isfinite(err.loss)
    assert err.history.steps == err.step and np.isfinite(err.history.loss).all()
    assert all(np.isfinite(p).all() for p in model.parameters())
    # nothing of the failed step was kept: the parameters are those after err.step applied steps
    replay, _, _ = overflowing_nalu(dtype)
    replay_opt = nalu_ext.SGD(replay.parameters(), lr=1.0)
    for _ in range(err.step):
        replay.train_step(x, y, replay_opt)
    for p, q in zip(model.parameters(), replay.parameters()):
        np.testing.assert_array_equal(p, q)


def test_fit_validates_arguments():
    model, x, y = setup()
    opt = nalu_ext.Adam(model.parameters())
    cases = [
        (dict(steps=-1), ValueError, "steps must be an integer >= 0"),
        (dict(steps=1.5), TypeError, "steps must be an integer"),
        (dict(steps=5, batch_size=0), ValueError, "batch_size must be a positive integer"),
        (dict(steps=5, batch_size=41), ValueError, r"batch_size must be between 1 and the number of rows \(40\)"),
        (dict(steps=5, loss="l1"), ValueError, "loss must be one of"),
        (dict(steps=5, callback=3), TypeError, "callback must be callable"),
        (dict(steps=5, callback_every=0), ValueError, "callback_every must be a positive integer"),
        (dict(steps=5, seed=-3), ValueError, r"seed must be an integer in \[0, 18446744073709551615\]"),
        (dict(steps=5, regularizer=0.1), ValueError, "no layer of this model has a regularizer"),
    ]
    for kwargs, exc, message in cases:
        with pytest.raises(exc, match=message):
            nalu_ext.fit(model, opt, x, y, **kwargs)
    with pytest.raises(ValueError, match="x has 40 rows but y has 39"):
        nalu_ext.fit(model, opt, x, y[:-1], steps=5)
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, 3\)"):
        nalu_ext.fit(model, opt, x[:, :2], y, steps=5)
    assert nalu_ext.fit(model, opt, x, y, steps=0).steps == 0
