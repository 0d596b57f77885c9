"""A training step is all or nothing: when its loss or its update is not finite, the parameters,
the optimizer's state and every step count stay exactly as the applied steps left them.

Each test here failed on the code before this rule (the issue's defects 1, 2, 6 and 12)."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext

ISA_INDEPENDENT = True

OPTIMIZERS = {
    "SGD": lambda ps: nalu_ext.SGD(ps, lr=0.01, momentum=0.9),
    "Adam": lambda ps: nalu_ext.Adam(ps, lr=0.01),
    "RMSprop": lambda ps: nalu_ext.RMSprop(ps, lr=0.01),
}
UNITS = {
    "NALU": lambda seed: nalu_ext.Sequential(nalu_ext.NALU(4, 2, seed=seed, dtype="float64"),
                                             nalu_ext.NAC(2, 1, seed=seed + 1, dtype="float64")),
    "NAU-NMU": lambda seed: nalu_ext.Sequential(nalu_ext.NAU(4, 2, seed=seed, dtype="float64"),
                                                nalu_ext.NMU(2, 1, seed=seed + 1, dtype="float64")),
}


def data(rows=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 2, size=(rows, 4))
    return x, (x[:, :1] + x[:, 1:2]) * x[:, 2:3]


def params_of(model):
    return [p.copy() for p in model.parameters()]


def assert_same(a, b):
    assert len(a) == len(b)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)


def test_a_failed_step_keeps_parameters_set_by_hand():
    """The rollback used to restore a backup taken before the parameters were set by hand."""
    model = UNITS["NALU"](0)
    opt = nalu_ext.Adam(model.parameters())
    x, y = data()
    model.train_step(x, y, opt)
    for p in model.parameters():
        p[...] = 0.123
    with pytest.raises(nalu_ext.TrainingDiverged) as info:
        model.train_step(x, y * np.nan, opt)
    assert info.value.cause == "loss" and info.value.step == 1
    assert all(np.all(p == 0.123) for p in model.parameters())
    assert opt.steps == 1


def test_a_fit_that_fails_at_its_first_step_changes_nothing():
    """fit after fit: the second diverges at step 0, so nothing may move (it moved by up to 0.017)."""
    model = UNITS["NALU"](0)
    opt = nalu_ext.Adam(model.parameters(), lr=0.01)
    x, y = data()
    nalu_ext.fit(model, opt, x, y, steps=100)
    before = params_of(model)
    with pytest.raises(nalu_ext.TrainingDiverged) as info:
        nalu_ext.fit(model, opt, x, y * np.nan, steps=10)
    assert info.value.step == 0 and info.value.history.steps == 0
    assert_same(params_of(model), before)
    assert opt.steps == 100


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("unit", sorted(UNITS))
def test_what_divergence_keeps_is_what_it_reports(unit, optimizer):
    """A NaN in row 30, batch 8, no shuffle: step 3 fails. The step count, the history, the
    optimizer's step count, the parameters and the optimizer's moments all say 3 applied steps:
    continuing from here is bit-identical to a model that was only ever given those 3 batches."""
    x, y = data()
    y_bad = y.copy()
    y_bad[30] = np.nan
    model = UNITS[unit](0)
    opt = OPTIMIZERS[optimizer](model.parameters())
    with pytest.raises(nalu_ext.TrainingDiverged) as info:
        nalu_ext.fit(model, opt, x, y_bad, steps=10, batch_size=8, shuffle=False)
    err = info.value
    assert err.step == 3 and err.history.steps == 3 and len(err.history.loss) == 3 and opt.steps == 3

    replay = UNITS[unit](0)
    replay_opt = OPTIMIZERS[optimizer](replay.parameters())
    losses = [replay.train_step(x[8 * k:8 * k + 8], y[8 * k:8 * k + 8], replay_opt) for k in range(3)]
    np.testing.assert_array_equal(err.history.loss, losses)
    assert_same(params_of(model), params_of(replay))
    for _ in range(3):  # the same moments: the next updates agree too
        assert model.train_step(x[:8], y[:8], opt) == replay.train_step(x[:8], y[:8], replay_opt)
    assert_same(params_of(model), params_of(replay))


@pytest.mark.parametrize("case", ["SGD: the parameter overflows", "Adam: the second moment overflows"])
def test_an_update_that_would_overflow_is_not_applied(case):
    """A finite loss whose update would make a parameter (SGD with a huge step) or a moment (Adam:
    g = 2e38 is finite in float32, g² is not) infinite: cause "update", nothing applied."""
    layer = nalu_ext.NAC(2, 1, seed=0, dtype="float32")
    params = list(layer.params.values())
    if case.startswith("SGD"):
        opt = nalu_ext.SGD(params, lr=1e36)
        x, y = np.array([[1.0, 2.0]], dtype=np.float32), np.array([[1e3]], dtype=np.float32)
    else:
        opt = nalu_ext.Adam(params, lr=1e-3)
        x, y = np.full((1, 2), 1e19, dtype=np.float32), np.zeros((1, 1), dtype=np.float32)
    before = params_of(nalu_ext.Sequential(layer))
    with pytest.raises(nalu_ext.TrainingDiverged, match="update would have made") as info:
        nalu_ext.fit(layer, opt, x, y, steps=5)
    assert info.value.cause == "update" and np.isfinite(info.value.loss) and info.value.step == 0
    assert opt.steps == 0
    assert_same(params_of(nalu_ext.Sequential(layer)), before)


def test_a_manual_optimizer_step_that_would_overflow_raises_and_changes_nothing():
    layer = nalu_ext.NAC(2, 1, seed=0, dtype="float32")
    opt = nalu_ext.SGD(list(layer.params.values()), lr=1e36)
    layer.forward(np.array([[1.0, 2.0]], dtype=np.float32))
    layer.backward(np.array([[-1e6]], dtype=np.float32))
    before = params_of(nalu_ext.Sequential(layer))
    with pytest.raises(nalu_ext.TrainingDiverged, match="step 0: the update would have made") as info:
        opt.step()
    assert info.value.cause == "update" and opt.steps == 0
    assert_same(params_of(nalu_ext.Sequential(layer)), before)


def test_an_optimizer_of_another_model_is_refused_everywhere():
    """It trained nothing and said nothing (200 steps, loss unchanged)."""
    model, other = UNITS["NALU"](0), UNITS["NALU"](5)
    opt = nalu_ext.Adam(other.parameters())
    x, y = data()
    message = "the optimizer updates parameters of a layer that is not in this model"
    with pytest.raises(ValueError, match=message):
        model.train_step(x, y, opt)
    with pytest.raises(ValueError, match=message):
        nalu_ext.fit(model, opt, x, y, steps=10)
    task = nalu_ext.benchmark.tasks.ArithmeticTask("add", input_size=4, subset_ratio=0.5, seed=0)
    with pytest.raises(ValueError, match=message):
        nalu_ext.benchmark.train_task(model, task, opt, steps=10)


def test_an_optimizer_of_part_of_the_model_trains_that_part():
    """Freezing a layer stays possible: an optimizer over some of the model's parameters."""
    model = UNITS["NALU"](0)
    frozen = params_of(nalu_ext.Sequential(model.layers[1]))
    opt = nalu_ext.Adam(list(model.layers[0].params.values()), lr=0.01)
    x, y = data()
    before = params_of(nalu_ext.Sequential(model.layers[0]))
    nalu_ext.fit(model, opt, x, y, steps=20)
    assert_same(params_of(nalu_ext.Sequential(model.layers[1])), frozen)
    assert any(np.any(p != q) for p, q in zip(params_of(nalu_ext.Sequential(model.layers[0])), before))


def test_fit_on_a_layer_continues_its_regularizer_schedule_like_a_sequential():
    """fit(layer) built a fresh model per call, so the schedule restarted at every call."""
    x, y = data(seed=3)
    y = y[:, :1] / 10

    def nau():
        return nalu_ext.NAU(4, 1, seed=0, dtype="float64", regularizer=1.0, reg_start=10, reg_end=60)

    layer, twin = nau(), nau()
    opt = nalu_ext.Adam(list(layer.params.values()), lr=0.01)
    twin_opt = nalu_ext.Adam(list(twin.params.values()), lr=0.01)
    first = nalu_ext.fit(layer, opt, x, y, steps=40)
    second = nalu_ext.fit(layer, opt, x, y, steps=40)
    whole = nalu_ext.fit(nalu_ext.Sequential(twin), twin_opt, x, y, steps=80)
    np.testing.assert_array_equal(np.concatenate([first.regularizer, second.regularizer]), whole.regularizer)
    np.testing.assert_array_equal(np.concatenate([first.loss, second.loss]), whole.loss)
    np.testing.assert_array_equal(layer.params["W"], twin.params["W"])
    assert layer.steps == twin.steps == 80
