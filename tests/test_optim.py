"""Each optimizer against a NumPy statement of PyTorch's update rule, step by step."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext
import torch_rules

CASES = [
    ("SGD", dict(lr=0.1), dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9)),
    ("Adam", dict(), dict()),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("RMSprop", dict(), dict()),
    ("RMSprop", dict(lr=0.003, alpha=0.9, eps=1e-5), dict(lr=0.003, alpha=0.9, eps=1e-5)),
]
CLIPS = [dict(), dict(clip_value=0.05), dict(clip_norm=0.1), dict(clip_value=0.05, clip_norm=0.07)]


def model_and_data(rng):
    model = nalu_ext.Sequential(nalu_ext.NALU(3, 4, seed=1, dtype="float64"),
                                nalu_ext.NAC(4, 2, seed=2, dtype="float64"))
    x = rng.uniform(0.5, 2.0, size=(16, 3))
    return model, x


@pytest.mark.parametrize("kind, ours, theirs", CASES)
@pytest.mark.parametrize("clipping", CLIPS, ids=lambda c: "+".join(c) or "noclip")
def test_optimizer_matches_pytorch_rule_for_12_steps(kind, ours, theirs, clipping, rng):
    model, x = model_and_data(rng)
    optimizer = getattr(nalu_ext, kind)(model.parameters(), **ours, **clipping)
    rule = getattr(torch_rules, kind)(**theirs)
    expected = [p.copy() for p in model.parameters()]
    for _ in range(12):
        y = model.forward(x)
        model.backward(np.sign(y) * 0.3 + rng.normal(size=y.shape), need_dx=False)
        grads = torch_rules.clip([g for layer in model.grads for g in layer.values()],
                                 clipping.get("clip_value"), clipping.get("clip_norm"))
        optimizer.step()
        rule.step(expected, grads)
        for got, want in zip(model.parameters(), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert optimizer.steps == 12


def test_clipping_changes_the_gradients_in_place(rng):
    model, x = model_and_data(rng)
    optimizer = nalu_ext.SGD(model.parameters(), lr=0.0, clip_value=1e-3)
    model.forward(x)
    model.backward(np.full((16, 2), 100.0))
    optimizer.step()
    for layer in model.grads:
        for g in layer.values():
            assert np.max(np.abs(g)) <= 1e-3


def test_learning_rate_can_be_changed_between_steps(rng):
    model, x = model_and_data(rng)
    optimizer = nalu_ext.SGD(model.parameters(), lr=0.1)
    optimizer.lr = 0.0
    before = [p.copy() for p in model.parameters()]
    model.forward(x)
    model.backward(np.ones((16, 2)))
    optimizer.step()
    for p, q in zip(model.parameters(), before):
        np.testing.assert_array_equal(p, q)
    assert optimizer.lr == 0.0


@pytest.mark.parametrize("make, message", [
    (lambda ps: nalu_ext.SGD(ps, lr=-1.0), "lr must be a finite number >= 0"),
    (lambda ps: nalu_ext.SGD(ps, lr=float("nan")), "lr must be a finite number, got nan"),
    (lambda ps: nalu_ext.SGD(ps, lr=0.1, momentum=-0.5), "momentum must be"),
    (lambda ps: nalu_ext.Adam(ps, betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\)"),
    (lambda ps: nalu_ext.Adam(ps, betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
    (lambda ps: nalu_ext.Adam(ps, betas=(0.9,)), "betas must be a pair"),
    (lambda ps: nalu_ext.Adam(ps, eps=-1e-8), "eps must be"),
    (lambda ps: nalu_ext.RMSprop(ps, alpha=1.5), r"alpha must be in \[0, 1\]"),
    (lambda ps: nalu_ext.Adam(ps, clip_value=0.0), "clip_value must be > 0"),
    (lambda ps: nalu_ext.Adam(ps, clip_norm=-1.0), "clip_norm must be > 0"),
    (lambda ps: nalu_ext.Adam([]), "empty parameter list"),
    (lambda ps: nalu_ext.Adam(ps + ps[:1]), "appears more than once"),
    (lambda ps: nalu_ext.Adam(ps[0]), "list of parameter arrays"),
])
def test_bad_hyperparameters_and_parameter_lists(make, message, rng):
    model, _ = model_and_data(rng)
    with pytest.raises((ValueError, TypeError), match=message):
        make(model.parameters())


def test_arrays_that_are_not_layer_parameters_are_rejected(rng):
    model, _ = model_and_data(rng)
    with pytest.raises(TypeError, match="that no float64 layer owns"):
        nalu_ext.Adam([np.zeros((2, 2))])
    with pytest.raises(ValueError, match="not one whole parameter"):
        nalu_ext.Adam([model.parameters()[0][:1]])
    with pytest.raises(TypeError, match="share one dtype"):
        nalu_ext.Adam(model.parameters() + list(nalu_ext.NAC(2, 2, dtype="float32").params.values()))
    with pytest.raises(TypeError, match="float32 or float64"):
        nalu_ext.Adam([np.zeros(3, dtype=np.int64)])


def test_optimizer_keeps_its_layers_alive():
    import gc

    layer = nalu_ext.NAC(2, 1, seed=0, dtype="float64")
    optimizer = nalu_ext.SGD(list(layer.params.values()), lr=0.1)
    layer.forward(np.ones((1, 2)))
    layer.backward(np.ones((1, 1)))
    del layer
    gc.collect()
    optimizer.step()  # the buffers are still alive: no crash, a real update
    assert all(np.isfinite(p).all() for p in optimizer.params)
