"""nalu_ext.torch: every unit as a torch.nn.Module running the C++ kernels (skipped when torch is
not installed; it is the optional [torch] extra, never a dependency of nalu_ext)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nalu_ext

torch = pytest.importorskip("torch")
nt = pytest.importorskip("nalu_ext.torch")

UNIT_NAMES = sorted(nalu_ext.UNITS)


def inputs(rows, width, seed=0, dtype=torch.float64):
    """|x| in [0.5, 2] with random signs: away from the kinks every unit has at 0."""
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], size=(rows, width)) * rng.uniform(0.5, 2.0, size=(rows, width))
    return torch.tensor(x, dtype=dtype)


def test_every_unit_has_a_module():
    assert set(nt._CLASSES) == set(nalu_ext.UNITS)
    for name in nalu_ext.UNITS:
        module = getattr(nt, name)(3, 2, seed=0)
        assert isinstance(module, torch.nn.Module) and isinstance(module.layer, nalu_ext.UNITS[name])
        assert [n for n, _ in module.named_parameters()] == list(module.layer.params)


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_gradcheck_float64(name):
    """torch.autograd.gradcheck: the kernels' backward against torch's finite differences, for x
    and every parameter."""
    module = getattr(nt, name)(4, 3, dtype="float64", seed=1)
    x = inputs(5, 4, seed=2).requires_grad_()
    params = tuple(module.parameters())
    forward = torch.ops.nalu_ext.unit_forward
    assert torch.autograd.gradcheck(lambda x, *p: forward(x, list(p), module._handle), (x, *params))


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_forward_and_gradients_are_the_layers(name):
    module = getattr(nt, name)(4, 3, dtype="float64", seed=3)
    reference = copy.deepcopy(module.layer)
    x = inputs(6, 4, seed=4).requires_grad_()
    dy = torch.tensor(np.random.default_rng(5).normal(size=(6, 3)))
    y = module(x)
    y.backward(dy)
    np.testing.assert_array_equal(y.detach().numpy(), reference.forward(x.detach().numpy()))
    np.testing.assert_array_equal(x.grad.numpy(), reference.backward(dy.numpy()))
    for n, p in module.named_parameters():
        np.testing.assert_array_equal(p.grad.numpy(), reference.grads[n])


def test_parameters_share_the_kernels_memory():
    module = nt.NAC(3, 2, seed=0)
    module.W_hat.data.fill_(0.25)  # what an optimizer's in-place update does
    assert (module.layer.params["W_hat"] == 0.25).all()
    module.layer.params["M_hat"][...] = -1.0
    assert (module.M_hat.detach() == -1.0).all()


def test_a_backward_after_other_forwards_uses_its_own_input():
    """The layer keeps one input; a module used twice in a graph (weight sharing, a recurrent
    cell) must still differentiate each use at its own input."""
    cell = nt.NAU(2, 2, dtype="float64", seed=0)
    x = inputs(3, 2, seed=1).requires_grad_()
    out = cell(cell(x) * 1.5)  # two uses, the second on the first's output
    out.sum().backward()
    W = cell.W.detach().clamp(-1, 1)
    tx = x.detach().clone().requires_grad_()
    tW = W.clone().requires_grad_()
    (torch.nn.functional.linear(torch.nn.functional.linear(tx, tW) * 1.5, tW)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(cell.W.grad.numpy(), tW.grad.numpy(), rtol=1e-12)


def plain_nau(x, W):
    return torch.nn.functional.linear(x, W.clamp(-1, 1))


def test_mixed_model_trains_with_torch_adam_like_plain_pytorch():
    """A torch.nn.Sequential of torch.nn.Linear and nalu_ext.torch units, trained with Adam, ends
    at the parameters of the same model written in plain PyTorch autograd (float64, 1e-10)."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 4).double()
    nau = nt.NAU(4, 2, dtype="float64", seed=1)
    nac = nt.NAC(2, 1, dtype="float64", seed=2)
    model = torch.nn.Sequential(linear, nau, nac)
    plain = {"lin_w": linear.weight.detach().clone(), "lin_b": linear.bias.detach().clone(),
             "W": nau.W.detach().clone(), "W_hat": nac.W_hat.detach().clone(), "M_hat": nac.M_hat.detach().clone()}
    plain = {k: v.requires_grad_() for k, v in plain.items()}
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    plain_opt = torch.optim.Adam(plain.values(), lr=0.01)
    rng = np.random.default_rng(3)
    for step in range(50):
        x = torch.tensor(rng.uniform(-1, 1, size=(16, 3)))
        t = x.sum(dim=1, keepdim=True)
        for m, params, optimizer in ((model, None, opt), (None, plain, plain_opt)):
            optimizer.zero_grad()
            if m is not None:
                loss = ((m(x) - t) ** 2).mean() + 0.01 * nt.regularizer(m)
            else:
                h = plain_nau(torch.nn.functional.linear(x, params["lin_w"], params["lin_b"]), params["W"])
                W = torch.tanh(params["W_hat"]) * torch.sigmoid(params["M_hat"])
                a = params["W"].abs()
                reg = torch.min(a, (1 - a).abs()).mean()
                loss = ((torch.nn.functional.linear(h, W) - t) ** 2).mean() + 0.01 * reg
            loss.backward()
            optimizer.step()
        nt.after_update(model)
        with torch.no_grad():
            plain["W"].clamp_(-1, 1)
    for ours, theirs in ((linear.weight, plain["lin_w"]), (linear.bias, plain["lin_b"]), (nau.W, plain["W"]),
                         (nac.W_hat, plain["W_hat"]), (nac.M_hat, plain["M_hat"])):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-13)


def test_regularizer_and_after_update_match_the_layer():
    module = nt.NMU(3, 2, dtype="float64", seed=0)
    module.W.data[0, 0] = 1.7
    value = module.regularizer()
    R, dR = module.layer.regularizer_value()
    assert float(value.detach()) == pytest.approx(R, rel=1e-12)
    value.backward()
    np.testing.assert_allclose(module.W.grad.numpy(), dR, rtol=1e-12)
    module.after_update()
    assert float(module.W.detach()[0, 0]) == 1.0  # clamped into [0, 1], as nalu_ext's optimizers do
    assert float(nt.NAC(3, 2).regularizer().detach()) == 0.0


def test_state_dict_round_trip_keeps_the_memory_shared():
    a, b = nt.NALU(3, 2, seed=0), nt.NALU(3, 2, seed=1)
    b.load_state_dict(a.state_dict())
    x = inputs(4, 3, dtype=torch.float32)
    assert torch.equal(a(x), b(x))
    np.testing.assert_array_equal(b.layer.params["G"], a.layer.params["G"])


def test_wrong_dtype_or_device_is_a_clear_error():
    module = nt.NAU(3, 2)  # float32
    with pytest.raises(TypeError, match=r"the input must be torch.float32 \(the module's dtype\), got torch.float64"):
        module(inputs(2, 3))
    with pytest.raises(ValueError, match=r"3 features in its last dimension, got the shape \(2, 4\)"):
        module(inputs(2, 4, dtype=torch.float32))
    before = module.W.detach().clone()
    with pytest.raises(TypeError, match="float32 or float64; it cannot become torch.float16"):
        module.half()  # refused at the call, not at the next forward
    with pytest.raises(TypeError, match="runs on the CPU; a unit cannot move to meta"):
        module.to("meta")
    assert module.W.dtype == torch.float32 and torch.equal(module.W.detach(), before)
    with pytest.raises(TypeError, match="must be a nalu_ext layer"):
        nt.Unit(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("convert", [lambda m: m.double(), lambda m: m.to(torch.float64),
                                     lambda m: torch.nn.Sequential(m).to(dtype=torch.float64)[0]])
def test_a_unit_converts_to_float64_like_any_module(convert):
    module = nt.NALU(3, 2, seed=0)  # float32
    param = module.W_hat
    x = inputs(4, 3, dtype=torch.float32)
    module(x).sum().backward()
    expected = module(x).double()
    assert convert(module) is module
    assert module.layer.dtype == np.float64 and module.W_hat is param  # the same Parameter objects
    assert all(p.dtype == torch.float64 and p.grad.dtype == torch.float64 for p in module.parameters())
    torch.testing.assert_close(module(x.double()), expected, rtol=1e-6, atol=1e-6)
    module.W_hat.data.fill_(0.5)  # still the layer's memory
    assert (module.layer.params["W_hat"] == 0.5).all()
    module.float()
    assert module.layer.dtype == np.float32 and module(x).dtype == torch.float32


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda m: __import__("pickle").loads(__import__("pickle").dumps(m))])
def test_a_copied_unit_is_a_unit_of_its_own(clone):
    """A copy kept the original's handle, so its forward ran (and overwrote) the original's layer."""
    original = nt.NAU(3, 2, dtype="float64", seed=0)
    before = original.W.detach().clone()
    twin = clone(original)
    assert twin._handle != original._handle and twin.layer is not original.layer
    assert twin.W.data_ptr() == twin.layer.params["W"].__array_interface__["data"][0]  # shared again
    twin.W.data.fill_(0.5)
    x = inputs(4, 3)
    torch.testing.assert_close(twin(x), x @ torch.full((3, 2), 0.5, dtype=torch.float64), rtol=0, atol=1e-15)
    torch.testing.assert_close(original.W.detach(), before, rtol=0, atol=0)
    torch.testing.assert_close(original(x), x @ before.clamp(-1, 1).T, rtol=1e-15, atol=1e-15)


def test_leading_dimensions_are_kept_as_torch_nn_linear_keeps_them():
    module = nt.NAU(3, 2, dtype="float64", seed=0)
    x = inputs(24, 3).reshape(2, 4, 3, 3).requires_grad_()
    y = module(x)
    assert y.shape == (2, 4, 3, 2)
    flat = module(x.detach().reshape(-1, 3))
    torch.testing.assert_close(y.reshape(-1, 2), flat, rtol=0, atol=0)
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert module(x.detach()[0, 0, 0]).shape == (2,)  # one row without a batch dimension


def test_torch_compile_fullgraph_runs_the_kernels_as_one_operator():
    module = nt.NALU(3, 2, dtype="float64", seed=0)
    x = inputs(4, 3).requires_grad_()
    compiled = torch.compile(module, fullgraph=True, backend="aot_eager")
    y = compiled(x)
    torch.testing.assert_close(y, module(x), rtol=0, atol=0)
    y.sum().backward()
    expected = x.grad.clone()
    x.grad = None
    module(x).sum().backward()
    torch.testing.assert_close(expected, x.grad, rtol=0, atol=0)


def test_torch_export_captures_the_units_operator():
    model = torch.nn.Sequential(nt.NAU(3, 2, dtype="float64", seed=0), nt.NMU(2, 1, dtype="float64", seed=1))
    x = inputs(5, 3)
    exported = torch.export.export(model, (x,))
    assert "nalu_ext.unit_forward" in str(exported.graph)
    torch.testing.assert_close(exported.module()(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("name", ["NAU", "NALU", "NPU", "iNALU"])
def test_the_custom_operators_pass_opcheck(name):
    module = getattr(nt, name)(4, 3, dtype="float64", seed=0)
    x = inputs(5, 4, seed=1).requires_grad_()
    params = list(module.parameters())
    torch.library.opcheck(torch.ops.nalu_ext.unit_forward.default, (x, params, module._handle))
    dy = inputs(5, 3, seed=2)
    torch.library.opcheck(torch.ops.nalu_ext.unit_backward.default,
                          (dy, x.detach(), [p.detach() for p in params], module._handle, True))


def test_torchscript_is_refused_with_what_to_use_instead():
    import warnings

    with warnings.catch_warnings(), pytest.raises(TypeError, match="do not support TorchScript.*torch.compile"):
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script's own (deprecated in torch 2.x)
        torch.jit.script(nt.NAU(3, 2))


def test_train_and_eval_reach_the_layers_mode():
    """torch's mode is the layer's: the NMRU divides exactly only in evaluation mode."""
    model = torch.nn.Sequential(nt.NMRU(2, 1, dtype="float64", seed=0))
    model[0].layer.params["W"][...] = [[1.0, 0.0, 0.0, 1.0]]
    x = torch.tensor([[3.0, 2.0]], dtype=torch.float64)
    assert model[0].layer.training and model(x).item() != 1.5
    model.eval()
    assert not model[0].layer.training and model(x).item() == 1.5
    model.train()
    assert model[0].layer.training


def test_after_update_counts_the_step_so_the_snmu_noise_moves_on():
    unit = nt.sNMU(3, 1, dtype="float64", seed=0)
    first = unit.layer.noise(4)
    nt.after_update(torch.nn.Sequential(unit))
    assert unit.layer.steps == 1 and not np.array_equal(unit.layer.noise(4), first)


@pytest.mark.parametrize("name", ["NAU", "NMU", "NALU"])
def test_a_second_derivative_through_a_unit_is_an_error_not_a_silent_zero(name):
    """A gradient penalty through an NAU gave W.grad = None with no error (gradgradcheck
    returned False): the backward was neither twice differentiable nor once_differentiable."""
    torch.manual_seed(0)
    unit = getattr(nt, name)(3, 2, dtype="float64", seed=0)
    x = torch.rand(5, 3, dtype=torch.float64, requires_grad=True) + 0.5
    (dx,) = torch.autograd.grad(unit(x).sum(), x, create_graph=True)
    penalty = (dx ** 2).sum()
    with pytest.raises(RuntimeError, match="differentiate twice"):
        penalty.backward()
    assert all(p.grad is None for p in unit.parameters())
    with pytest.raises(RuntimeError, match="differentiate twice"):
        torch.autograd.gradgradcheck(lambda v: unit(v), (x,))
    (dx_once,) = torch.autograd.grad(unit(x).sum(), x)  # first derivatives are as before
    torch.testing.assert_close(dx_once, dx.detach())
