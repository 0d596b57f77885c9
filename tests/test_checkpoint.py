"""Checkpoints: train N steps, save (file, pickle, deepcopy, state_dict), train M more; the restored
copy trained M steps ends bit-identical (parameters, optimizer state, losses, step counts)."""

from __future__ import annotations

import copy
import gc
import pickle

import numpy as np
import pytest

import nalu_ext
from nalu_ext.benchmark.recipes import RECIPES

ISA_INDEPENDENT = True
OPTIMIZERS = {
    "SGD": lambda ps: nalu_ext.SGD(ps, lr=0.01, momentum=0.9),
    "SGD-plain": lambda ps: nalu_ext.SGD(ps, lr=0.01),
    "Adam": lambda ps: nalu_ext.Adam(ps, lr=0.01, clip_value=0.5),
    "RMSprop": lambda ps: nalu_ext.RMSprop(ps, lr=0.001, clip_norm=1.0),
}
N, M = 7, 9


def network(unit: str) -> nalu_ext.Sequential:
    """The unit's benchmark network, 3 -> 2 -> 1, float64; a regularizer whose schedule starts
    between N and N + M where the unit has one, so the restored clock matters."""
    layers = []
    for k, name in enumerate(RECIPES[unit].network):
        layer = nalu_ext.UNITS[name]((3, 2)[k], (2, 1)[k], dtype="float64", seed=k)
        if layer.has_regularizer:
            layer.set_regularizer(0.1, N + 2, N + 5)
        layers.append(layer)
    return nalu_ext.Sequential(*layers)


def data():
    x = np.random.default_rng(0).uniform(0.5, 2.0, size=(16, 3))
    return x, x[:, :1] + x[:, 1:2] * x[:, 2:]


def train(model, opt, steps):
    x, y = data()
    return nalu_ext.fit(model, opt, x, y, steps=steps, batch_size=4, seed=1).loss


def everything(model, opt):
    return model.state_dict(), opt.state_dict(), [layer.steps for layer in model.layers]


def assert_same(a, b):
    (ma, oa, la), (mb, ob, lb) = a, b
    assert ma.keys() == mb.keys() and la == lb
    for key in ma:
        np.testing.assert_array_equal(ma[key], mb[key], err_msg=key)
    assert oa["steps"] == ob["steps"] and oa["hyper"] == ob["hyper"] and oa["state"].keys() == ob["state"].keys()
    for name in oa["state"]:
        for p, q in zip(oa["state"][name], ob["state"][name]):
            np.testing.assert_array_equal(p, q, err_msg=name)


RESTORES = ["file", "pickle", "deepcopy", "state_dict"]


def restore(how, unit, model, opt, tmp_path):
    if how == "file":
        model.save(tmp_path / "checkpoint.npz", optimizer=opt)
        return nalu_ext.load_checkpoint(tmp_path / "checkpoint.npz")
    if how == "pickle":
        return pickle.loads(pickle.dumps((model, opt)))
    if how == "deepcopy":
        return copy.deepcopy((model, opt))
    fresh = network(unit)
    fresh_opt = type(opt)(fresh.parameters(), **opt.state_dict()["hyper"])
    fresh.load_state_dict(model.state_dict())
    fresh_opt.load_state_dict(opt.state_dict())
    return fresh, fresh_opt


@pytest.mark.parametrize("how", RESTORES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("unit", sorted(nalu_ext.UNITS))
def test_a_restored_checkpoint_continues_bit_identically(unit, optimizer, how, tmp_path):
    model = network(unit)
    opt = OPTIMIZERS[optimizer](model.parameters())
    train(model, opt, N)
    copy_model, copy_opt = restore(how, unit, model, opt, tmp_path)
    assert copy_model is not model and copy_opt.params[0] is not opt.params[0]
    assert_same(everything(copy_model, copy_opt), everything(model, opt))
    losses = train(model, opt, M)
    restored_losses = train(copy_model, copy_opt, M)
    np.testing.assert_array_equal(restored_losses, losses)
    assert_same(everything(copy_model, copy_opt), everything(model, opt))
    assert copy_model.steps == model.steps == N + M


def test_a_pickled_optimizer_stays_linked_to_its_pickled_model():
    model = network("NAU")
    opt = nalu_ext.Adam(model.parameters(), lr=0.01)
    train(model, opt, 3)
    model2, opt2 = pickle.loads(pickle.dumps((model, opt)))
    for p, q in zip(opt2.params, model2.parameters()):
        assert np.shares_memory(p, q)


def test_layers_pickle_and_copy_with_their_state():
    layer = nalu_ext.NALU(3, 2, gate="scalar", eps=1e-5, dtype="float32", seed=3)
    for clone in (pickle.loads(pickle.dumps(layer)), copy.deepcopy(layer)):
        assert clone.config() == layer.config() and clone is not layer
        for name in layer.params:
            np.testing.assert_array_equal(clone.params[name], layer.params[name])
        clone.params["W_hat"][...] = 0  # its own memory
        assert not np.array_equal(clone.params["W_hat"], layer.params["W_hat"])


def test_load_state_dict_refuses_a_mismatch_before_changing_anything():
    layer = nalu_ext.NAC(3, 2, dtype="float64", seed=0)
    before = layer.state_dict()
    bad = dict(before, M_hat=np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"M_hat must be float64\(2, 3\), got float64\(2, 2\)"):
        layer.load_state_dict(bad)
    with pytest.raises(ValueError, match="expected the keys"):
        layer.load_state_dict({"W_hat": before["W_hat"]})
    np.testing.assert_array_equal(layer.params["W_hat"], before["W_hat"])
    opt = nalu_ext.Adam(layer.parameters())
    with pytest.raises(ValueError, match="expected the state of a Adam, got 'SGD'"):
        opt.load_state_dict(nalu_ext.SGD(layer.parameters(), lr=0.1).state_dict())


def test_a_model_file_without_optimizer_is_not_a_checkpoint(tmp_path):
    model = network("NAC")
    model.save(tmp_path / "m.npz")
    with pytest.raises(nalu_ext.ModelFileError, match="without an optimizer"):
        nalu_ext.load_checkpoint(tmp_path / "m.npz")
    loaded = nalu_ext.load(tmp_path / "m.npz")
    assert [layer.steps for layer in loaded.layers] == [0, 0]


def test_zero_grad_and_parameters():
    layer = nalu_ext.NAU(3, 2, dtype="float64", seed=0)
    layer.forward(np.ones((2, 3)))
    layer.backward(np.ones((2, 2)))
    assert np.any(layer.grads["W"] != 0)
    layer.zero_grad()
    np.testing.assert_array_equal(layer.grads["W"], 0.0)
    assert [np.shares_memory(p, q) for p, q in zip(layer.parameters(), layer.params.values())] == [True]


@pytest.mark.parametrize("copy_of", [lambda o: pickle.loads(pickle.dumps(o)), copy.deepcopy], ids=["pickle", "deepcopy"])
def test_an_optimizer_whose_layer_object_was_collected_still_pickles(copy_of):
    """The optimizer still stepped (its arrays keep the C++ layer alive), but pickle and
    deepcopy raised ValueError: they looked the Python layer up among the live ones."""
    layer = nalu_ext.NAU(3, 2, dtype="float64", seed=0)
    opt = nalu_ext.Adam(layer.parameters(), lr=0.1)
    W = layer.params["W"]
    layer.grads["W"][...] = 1.0
    del layer
    gc.collect()
    opt.step()
    again = copy_of(opt)
    assert again.steps == 1 and again.state_dict()["hyper"] == opt.state_dict()["hyper"]
    np.testing.assert_array_equal(again.params[0], W)
    for a, b in zip(again.state_dict()["state"]["exp_avg"], opt.state_dict()["state"]["exp_avg"]):
        np.testing.assert_array_equal(a, b)
