"""PyTorch as a second, independent oracle (skipped when torch is not installed; it is never a
dependency of nalu_ext). Gradients come from torch.autograd, updates from torch.optim itself."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext

torch = pytest.importorskip("torch")


def torch_nalu(x, W_hat, M_hat, G, eps=1e-7):
    W = torch.tanh(W_hat) * torch.sigmoid(M_hat)
    a = x @ W.T
    m = torch.exp(torch.log(torch.abs(x) + eps) @ W.T)
    g = torch.sigmoid(x @ G.T)
    return g * a + (1 - g) * m


def torch_g_nalu(x, W_hat, M_hat, G, eps=1e-7):
    """bmistry4/nalm-benchmark's G-NALU (--nalu-gate golden-ratio --nalu-mul golden-ratio
    --nac-weight golden-ratio: functional/golden_ratio_base.py, layer/_abstract_nalu.py)."""
    phi = (1 + 5 ** 0.5) / 2
    tanh = lambda u: (torch.pow(phi, 2 * u) - 1) / (torch.pow(phi, 2 * u) + 1)  # noqa: E731
    sigmoid = lambda u: 1 / (1 + torch.pow(phi, -u))  # noqa: E731
    W = tanh(W_hat) * sigmoid(M_hat)
    a = x @ W.T
    m = phi ** ((torch.log(torch.abs(x) + eps) @ W.T) / torch.log(torch.tensor(phi, dtype=x.dtype)))
    g = sigmoid(x @ G.T)
    return g * a + (1 - g) * m


def torch_nac_mul(x, W_hat, M_hat, eps=1e-7):
    """stable-nalu's --nac-mul normal layer: exp(NAC(log(|x| + eps)))."""
    W = torch.tanh(W_hat) * torch.sigmoid(M_hat)
    return torch.exp(torch.nn.functional.linear(torch.log(torch.abs(x) + eps), W))


def torch_pos_nac_mul(x, W_hat, eps=1e-7):
    """stable-nalu's layer/pos_nac.py (W = sigmoid(W_hat)) under --nac-mul normal."""
    return torch.exp(torch.nn.functional.linear(torch.log(torch.abs(x) + eps), torch.sigmoid(W_hat)))


def torch_nac_mul_nmu(x, W, eps=1e-7):
    """stable-nalu's ReRegualizedLinearPosNACLayer (layer/re_regualized_linear_pos_nac.py) under
    --nac-mul normal and --oob-mode regualized (the forward clamps W into [0, 1])."""
    return torch.exp(torch.nn.functional.linear(torch.log(torch.abs(x) + eps), torch.clamp(W, 0.0, 1.0)))


def torch_linear(x, W, b):
    """stable-nalu's layer/basic.py with activation 'linear'."""
    return torch.nn.functional.linear(x, W, b)


def torch_dense(activation):
    """Flux's Dense(in, out, act) as the NPU paper's baseline uses it: act.(W x .+ b)."""
    act = {"identity": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    return lambda x, W, b: act(torch.nn.functional.linear(x, W, b))


def torch_nau_unconstrained(x, W):
    """The NPU paper's additive layer (NeuralArithmetic.jl's NAU): W x, W unconstrained."""
    return torch.nn.functional.linear(x, W)


def torch_nmu_clipped(x, W):
    """The NPU paper's NMU: W clamped into [0, 1] in the forward pass only."""
    Wc = torch.clamp(W, 0.0, 1.0)
    return torch.prod(x.unsqueeze(1) * Wc + 1 - Wc, dim=2)


def torch_naive_npu(x, W_re, W_im):
    """nmheim/NeuralArithmetic.jl's NaiveNPU (src/npu.jl): r = |x| + eps, k = pi max(-sign x, 0)."""
    r = torch.abs(x) + torch.finfo(x.dtype).eps
    k = torch.clamp(-torch.sign(x), min=0) * torch.pi
    return torch.exp(torch.log(r) @ W_re.T - k @ W_im.T) * torch.cos(k @ W_re.T + torch.log(r) @ W_im.T)


def torch_real_naive_npu(x, W):
    """nmheim/NeuralArithmetic.jl's RealNaiveNPU: exp(W log r) cos(W k)."""
    r = torch.abs(x) + torch.finfo(x.dtype).eps
    k = torch.clamp(-torch.sign(x), min=0) * torch.pi
    return torch.exp(torch.log(r) @ W.T) * torch.cos(k @ W.T)


def imaginary_weights(layer, rng):
    """W_im away from its initial 0, where a dropped imaginary term would show."""
    layer.params["W_im"][...] = rng.normal(scale=0.3, size=layer.params["W_im"].shape)
    return layer


def torch_gated_nau_nmu(x, W_add, W_mul, G):
    """stable-nalu's ReRegualizedLinearNALULayer (layer/_abstract_nalu.py) with --nalu-two-nac
    --nalu-mul mnac and --oob-mode regualized (the forward clamps both weights): g a + (1 - g) m."""
    g = torch.sigmoid(torch.nn.functional.linear(x, G))
    a = torch.nn.functional.linear(x, torch.clamp(W_add, -1.0, 1.0))
    Wc = torch.clamp(W_mul, 0.0, 1.0)
    m = torch.prod(x.unsqueeze(1) * Wc + 1 - Wc, dim=2)  # functional/mnac.py, mode "prod"
    return g * a + (1 - g) * m


def gated_out_of_range(layer):
    """Both weights spread beyond their ranges (the clip constraint: no gradient passes there)."""
    for name, (low, high) in (("W_add", (-1.6, 1.7)), ("W_mul", (-0.5, 1.45))):
        W = layer.params[name]
        W[...] = np.linspace(low, high, W.size).reshape(W.shape)
    return layer


def torch_inalu_input_gate(x, W_hat_a, M_hat_a, W_hat_m, M_hat_m, G, eps=1e-7, omega=20.0):
    """The iNALU with the gate σ(x Gᵀ) of the original paper (Schlör et al. 2020)."""
    W_a = torch.tanh(W_hat_a) * torch.sigmoid(M_hat_a)
    W_m = torch.tanh(W_hat_m) * torch.sigmoid(M_hat_m)
    m = torch.exp(torch.clamp(torch.log(torch.clamp(torch.abs(x), min=eps)) @ W_m.T, max=omega))
    s = torch.prod(1 + W_m.abs().unsqueeze(0) * (torch.sign(x).unsqueeze(1) - 1), dim=2)
    g = torch.sigmoid(x @ G.T)
    return g * (x @ W_a.T) + (1 - g) * m * torch.clamp(s, -1.0, 1.0)


def torch_nmru(training):
    """nalm-division's concat_reciprocal_nmu.py forward: mnac 'prod' on [x, 1/(x + eps)], eps
    float32's machine epsilon in training and the exact reciprocal in evaluation."""
    def forward(x, W):
        r = (x + torch.finfo(torch.float).eps).reciprocal() if training else x.reciprocal()
        z = torch.cat((x, r), 1)
        Wc = torch.clamp(W, 0.0, 1.0)
        return torch.prod(z.unsqueeze(1) * Wc + 1 - Wc, dim=2)
    return forward


def torch_sign_nmru(training):
    """nalm-division's concat_reciprocal_nmu_sign_retrieval.py forward (SignNMRU)."""
    def forward(x, W):
        r = (x + torch.finfo(torch.float).eps).reciprocal() if training else x.reciprocal()
        z = torch.cat((x, r), 1)
        k = torch.max(-torch.sign(z), torch.zeros_like(z)) * np.pi
        a = torch.abs(z)
        Wc = torch.clamp(W, 0.0, 1.0)
        magnitude = torch.prod(a.unsqueeze(1) * Wc + 1 - Wc, dim=2)
        return magnitude * torch.cos(k.matmul(W.T))
    return forward


def torch_nru(training):
    """nalm-division's reciprocal_nmu.py forward: functional/mnac.py mode 'div', W in [-1, 1]."""
    def forward(x, W):
        x3, W3 = x.view(x.shape[0], -1, 1), W.t().view(1, W.shape[1], W.shape[0])
        W_abs = torch.tanh(1000 * W3) ** 2 if training else W3.abs()
        smooth_zero_fire = (1 - torch.tanh(1000 * W3) ** 2) if training else (1 - W3.abs())
        return torch.prod(x3.sign() * x3.abs() ** W3 * W_abs + smooth_zero_fire, -2)
    return forward


def nru_weights(layer):
    """An NRU whose weights include values within 1/1000 of 0, where tanh(1000 w)² is not flat."""
    layer.params["W"][...] = np.array([-0.9, -0.5, -3e-3, -1e-3, 0.0, 7e-4, 2e-3, 4e-3, 0.3, 0.6, 0.9, 1.0,
                                       -1.0, 0.05, -0.2]).reshape(3, 5)
    return layer


def out_of_range(layer, low, high):
    """The layer with W spread over [low, high], beyond its unit's range: where the constraints differ."""
    layer.params["W"][...] = np.linspace(low, high, layer.params["W"].size).reshape(layer.params["W"].shape)
    return layer


@pytest.mark.parametrize("make, transcription", [
    (lambda: nalu_ext.NALU(5, 3, seed=0, dtype="float64"), torch_nalu),
    (lambda: nalu_ext.NALU(5, 3, base="golden-ratio", seed=0, dtype="float64"), torch_g_nalu),
    (lambda: nalu_ext.NACMul(5, 3, seed=0, dtype="float64", init="stable-nalu"), torch_nac_mul),
    (lambda: nalu_ext.PosNACMul(5, 3, seed=0, dtype="float64"), torch_pos_nac_mul),
    (lambda: nalu_ext.NACMulNMU(5, 3, seed=0, dtype="float64"), torch_nac_mul_nmu),
    (lambda: out_of_range(nalu_ext.NACMulNMU(5, 3, constraint="clip", seed=0, dtype="float64"), -0.4, 1.3),
     torch_nac_mul_nmu),
    (lambda: nalu_ext.Linear(5, 3, seed=0, dtype="float64"), torch_linear),
    *[(lambda a=a: nalu_ext.Dense(5, 3, activation=a, seed=0, dtype="float64"), torch_dense(a))
      for a in ("identity", "sigmoid", "tanh", "relu")],
    (lambda: out_of_range(nalu_ext.NAU(5, 3, constraint="none", seed=0, dtype="float64"), -1.7, 1.9),
     torch_nau_unconstrained),
    (lambda: out_of_range(nalu_ext.NMU(5, 3, constraint="clip", seed=0, dtype="float64"), -0.6, 1.55),
     torch_nmu_clipped),
    (lambda: nalu_ext.iNALU(5, 3, gate="input", seed=0, dtype="float64"), torch_inalu_input_gate),
    (lambda: imaginary_weights(nalu_ext.NaiveNPU(5, 3, seed=0, dtype="float64"), np.random.default_rng(4)),
     torch_naive_npu),
    (lambda: nalu_ext.RealNaiveNPU(5, 3, seed=0, dtype="float64"), torch_real_naive_npu),
    (lambda: nalu_ext.GatedNAUNMU(5, 3, seed=0, dtype="float64"), torch_gated_nau_nmu),
    (lambda: gated_out_of_range(nalu_ext.GatedNAUNMU(5, 3, constraint="clip", seed=0, dtype="float64")),
     torch_gated_nau_nmu),
    (lambda: nalu_ext.NMRU(5, 3, seed=0, dtype="float64"), torch_nmru(True)),
    (lambda: nalu_ext.NMRU(5, 3, seed=0, dtype="float64").eval(), torch_nmru(False)),
    (lambda: nalu_ext.NMRU(5, 3, sign_retrieval=True, seed=0, dtype="float64"), torch_sign_nmru(True)),
    (lambda: nalu_ext.NMRU(5, 3, sign_retrieval=True, seed=0, dtype="float64").eval(), torch_sign_nmru(False)),
    (lambda: nru_weights(nalu_ext.NRU(5, 3, seed=0, dtype="float64")), torch_nru(True)),
    (lambda: nru_weights(nalu_ext.NRU(5, 3, seed=0, dtype="float64")).eval(), torch_nru(False)),
], ids=["NALU", "G-NALU", "NACMul", "PosNACMul", "NACMulNMU", "NACMulNMU-clip-out-of-range", "Linear", "Dense-identity", "Dense-sigmoid", "Dense-tanh", "Dense-relu",
        "NAU-none", "NMU-clip", "iNALU-input-gate", "NaiveNPU", "RealNaiveNPU", "GatedNAUNMU", "GatedNAUNMU-clip-out-of-range", "NMRU-training", "NMRU-evaluation", "SignNMRU-training",
        "SignNMRU-evaluation", "NRU-training",
        "NRU-evaluation"])
def test_gradients_match_torch_autograd(make, transcription, rng):
    """float64 forward and every gradient agree with autograd on a PyTorch transcription of the
    unit to 1e-10 relative."""
    layer = make()
    if "b" in layer.params:  # a bias of 0 would hide a forward that drops it
        layer.params["b"][...] = rng.normal(size=layer.params["b"].shape)
    x = rng.uniform(0.2, 3.0, size=(8, 5)) * rng.choice([-1.0, 1.0], size=(8, 5))
    dy = rng.normal(size=(8, 3))
    tx = torch.tensor(x, requires_grad=True)
    tp = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in layer.params.items()}
    ty = transcription(tx, **tp)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(layer.forward(x), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.backward(dy), tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    for name, t in tp.items():
        np.testing.assert_allclose(layer.grads[name], t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_snmu_matches_nalm_robust_nmus_forward_with_the_same_noise(rng):
    """bmistry4/nalm-robust-nmu's re_regualized_linear_mnac.py with --nmu-noise, given our noise:
    mnac(x * noise, W) / mnac(noise, W), float64 to 1e-10."""
    layer = nalu_ext.sNMU(5, 3, seed=0, dtype="float64")
    x = rng.uniform(0.2, 3.0, size=(8, 5)) * rng.choice([-1.0, 1.0], size=(8, 5))
    dy = rng.normal(size=(8, 3))
    noise = torch.tensor(layer.noise(8))
    tx = torch.tensor(x, requires_grad=True)
    tW = torch.tensor(layer.params["W"].copy(), requires_grad=True)
    Wc = torch.clamp(tW, 0.0, 1.0)

    def mnac(z):
        return torch.prod(z.unsqueeze(1) * Wc + 1 - Wc, dim=2)

    ty = mnac(tx * noise) / mnac(noise)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(layer.forward(x), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.backward(dy), tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(layer.grads["W"], tW.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("ours, theirs", [
    (lambda ps: nalu_ext.SGD(ps, lr=0.05, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    (lambda ps: nalu_ext.Adam(ps, lr=0.02), lambda ps: torch.optim.Adam(ps, lr=0.02)),
    (lambda ps: nalu_ext.RMSprop(ps, lr=0.01), lambda ps: torch.optim.RMSprop(ps, lr=0.01)),
])
def test_optimizers_match_torch_optim(ours, theirs, rng):
    layer = nalu_ext.NALU(4, 2, seed=3, dtype="float64")
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in layer.params.values()]
    opt, topt = ours(list(layer.params.values())), theirs(tparams)
    x = rng.uniform(0.5, 2.0, size=(16, 4))
    for _ in range(15):
        layer.forward(x)
        layer.backward(np.ones((16, 2)))
        for t, g in zip(tparams, layer.grads.values()):
            t.grad = torch.tensor(g.copy())
        opt.step()
        topt.step()
    for p, t in zip(layer.params.values(), tparams):
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12, atol=1e-15)
