"""Plain NumPy float64 forward and backward of every unit: the oracle of the test suite.

Written for clarity, never optimised: each function is the formula of docs/units.md line by line,
and each backward is checked against central finite differences in the tests. Two numerical
choices are shared with the C++ kernels because the formulas leave them open:

* ``1 - sigmoid(z)`` is computed as ``sigmoid(-z)``, which keeps its precision when the gate is
  saturated near 1 (where ``1 - g`` would cancel);
* ``d log(|x| + eps)/dx = sign(x) / (|x| + eps)`` with ``sign(0) = 0`` (the one-sided choice at the
  kink of ``|x|``).

Forward functions return ``(y, cache)``; backward functions take ``(dy, cache)`` and return
``(dx, grads)`` with ``grads`` a dict keyed like the layer's parameters.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np

Cache = Dict[str, Any]
Grads = Dict[str, np.ndarray]


def _f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) written as exp(-log(1 + exp(-z))), accurate for every z, no overflow."""
    return np.exp(-np.logaddexp(0.0, -z))


def nac_weight(W_hat: np.ndarray, M_hat: np.ndarray) -> np.ndarray:
    """W = tanh(W_hat) * sigmoid(M_hat)."""
    return np.tanh(W_hat) * sigmoid(M_hat)


def _nac_weight_backward(dW: np.ndarray, W_hat: np.ndarray, M_hat: np.ndarray) -> Grads:
    t, s = np.tanh(W_hat), sigmoid(M_hat)
    return {
        "W_hat": dW * (1.0 - t * t) * s,
        "M_hat": dW * t * (s * sigmoid(-M_hat)),
    }


# NAC ----------------------------------------------------------------------------------------


def nac_forward(x: Any, W_hat: Any, M_hat: Any) -> Tuple[np.ndarray, Cache]:
    """y = x @ W.T with W = tanh(W_hat) * sigmoid(M_hat); x (B, I), W_hat, M_hat (O, I)."""
    x, W_hat, M_hat = _f64(x), _f64(W_hat), _f64(M_hat)
    W = nac_weight(W_hat, M_hat)
    y = x @ W.T
    return y, {"x": x, "W_hat": W_hat, "M_hat": M_hat, "W": W}


def nac_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = _f64(dy)
    dW = dy.T @ cache["x"]
    dx = dy @ cache["W"]
    return dx, _nac_weight_backward(dW, cache["W_hat"], cache["M_hat"])


# NALU ---------------------------------------------------------------------------------------


def nalu_forward(
    x: Any, W_hat: Any, M_hat: Any, G: Any, eps: float = 1e-7, W_hat_m: Any = None,
    M_hat_m: Any = None, b: Any = None
) -> Tuple[np.ndarray, Cache]:
    """NALU; x (B, I), W_hat, M_hat (O, I).

    a = x W^T,  m = exp(log(|x| + eps) W_m^T),  g = sigmoid(x G^T + b),  y = g a + (1 - g) m,
    with W_m = W (tied) unless W_hat_m, M_hat_m are given; G of shape (O,) is the scalar gate
    g = sigmoid(G); b (O,) is the optional gate bias.
    """
    x, W_hat, M_hat, G = _f64(x), _f64(W_hat), _f64(M_hat), _f64(G)
    W = nac_weight(W_hat, M_hat)
    separate = W_hat_m is not None
    W_m = nac_weight(_f64(W_hat_m), _f64(M_hat_m)) if separate else W
    log_x = np.log(np.abs(x) + eps)
    a = x @ W.T
    m = np.exp(log_x @ W_m.T)
    z_g = np.broadcast_to(G, a.shape) if G.ndim == 1 else x @ G.T
    if b is not None:
        z_g = z_g + _f64(b)
    g, one_minus_g = sigmoid(z_g), sigmoid(-z_g)
    y = g * a + one_minus_g * m
    cache = {
        "x": x, "W_hat": W_hat, "M_hat": M_hat, "G": G, "W": W, "W_m": W_m, "eps": eps,
        "log_x": log_x, "a": a, "m": m, "g": g, "one_minus_g": one_minus_g, "separate": separate,
        "hats_m": (_f64(W_hat_m), _f64(M_hat_m)) if separate else None, "bias": b is not None,
    }
    return y, cache


def nalu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = _f64(dy)
    x, W, W_m, G, eps = cache["x"], cache["W"], cache["W_m"], cache["G"], cache["eps"]
    a, m, g, one_minus_g = cache["a"], cache["m"], cache["g"], cache["one_minus_g"]

    da = dy * g                                # y = g a + (1 - g) m
    dz_m = dy * one_minus_g * m                # m = exp(z_m)
    dz_g = dy * (a - m) * (g * one_minus_g)    # g = sigmoid(z_g)

    dW_a = da.T @ x
    dW_m = dz_m.T @ cache["log_x"]
    scalar_gate = G.ndim == 1
    dG = dz_g.sum(axis=0) if scalar_gate else dz_g.T @ x
    dlog_x = dz_m @ W_m
    dx = da @ W + dlog_x * (np.sign(x) / (np.abs(x) + eps))
    if not scalar_gate:
        dx = dx + dz_g @ G

    if cache["separate"]:
        grads = _nac_weight_backward(dW_a, cache["W_hat"], cache["M_hat"])
        gm = _nac_weight_backward(dW_m, *cache["hats_m"])
        grads["W_hat_m"], grads["M_hat_m"] = gm["W_hat"], gm["M_hat"]
    else:  # tied weights: both paths' gradients add up in W
        grads = _nac_weight_backward(dW_a + dW_m, cache["W_hat"], cache["M_hat"])
    grads["G"] = dG
    if cache["bias"]:
        grads["b"] = dz_g.sum(axis=0)
    return dx, grads


# NAU and NMU (Madsen & Johansen 2020) --------------------------------------------------------
# The clamp passes gradient where W lies inside its range, edges included; outside it passes 0.


def nau_forward(x: Any, W: Any) -> Tuple[np.ndarray, Cache]:
    """y = x @ clamp(W, -1, 1).T; x (B, I), W (O, I)."""
    x, W = _f64(x), _f64(W)
    Wc = np.clip(W, -1.0, 1.0)
    return x @ Wc.T, {"x": x, "W": W, "Wc": Wc}


def nau_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = _f64(dy)
    inside = (cache["W"] >= -1.0) & (cache["W"] <= 1.0)
    return dy @ cache["Wc"], {"W": (dy.T @ cache["x"]) * inside}


def nmu_forward(x: Any, W: Any) -> Tuple[np.ndarray, Cache]:
    """y_j = prod_i (Wc_ji x_i + 1 - Wc_ji), Wc = clamp(W, 0, 1); x (B, I), W (O, I)."""
    x, W = _f64(x), _f64(W)
    Wc = np.clip(W, 0.0, 1.0)
    factors = Wc[None, :, :] * x[:, None, :] + 1.0 - Wc[None, :, :]  # (B, O, I)
    return np.prod(factors, axis=2), {"x": x, "W": W, "Wc": Wc, "factors": factors}


def nmu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    """The product of the other factors is taken directly (no division by a factor that may be 0)."""
    dy = _f64(dy)
    x, Wc, factors = cache["x"], cache["Wc"], cache["factors"]
    I = factors.shape[2]
    others = np.stack([np.prod(np.delete(factors, i, axis=2), axis=2) for i in range(I)], axis=2)
    g = dy[:, :, None] * others                                       # (B, O, I)
    dW = np.sum(g * (x[:, None, :] - 1.0), axis=0)
    dx = np.sum(g * Wc[None, :, :], axis=1)
    inside = (cache["W"] >= 0.0) & (cache["W"] <= 1.0)
    return dx, {"W": dW * inside}


def sparsity_regularizer(W: Any, unit: str) -> Tuple[float, np.ndarray]:
    """(R, dR/dW) with R = mean min(a, 1 - a), a = |W| for the NAU and W for the NMU. At the tie
    a = 1/2 the derivative of the first argument is taken."""
    W = _f64(W)
    a = np.abs(W) if unit == "NAU" else W
    da = np.sign(W) if unit == "NAU" else np.ones_like(W)
    first = a <= 1.0 - a
    R = float(np.mean(np.where(first, a, 1.0 - a)))
    return R, np.where(first, da, -da) / W.size


def regularizer_weight(step: int, regularizer: float, reg_start: int, reg_end: int) -> float:
    """lambda(t) = lambda_hat * max(min((t - t_start) / (t_end - t_start), 1), 0); a step at
    t_start when t_end <= t_start."""
    if regularizer == 0.0:
        return 0.0
    if reg_end <= reg_start:
        return regularizer if step >= reg_start else 0.0
    return regularizer * max(min((step - reg_start) / (reg_end - reg_start), 1.0), 0.0)


# NPU and RealNPU (Heim, Pevný & Šmídl 2020) --------------------------------------------------
# eps is the dtype's machine epsilon; g is clipped into [0, 1] (gradient passes inside, edges
# included); k = pi g [x < 0] is piecewise constant in x (no gradient to x through k).


def npu_forward(x: Any, W_re: Any, W_im: Any, g: Any, eps: float = float(np.finfo(np.float64).eps)
                ) -> Tuple[np.ndarray, Cache]:
    """y = Re(exp(log_complex(r) @ (W_re + i W_im).T)) with the complex log of the gated input:
    log|r| + i pi g [x < 0]. x (B, I), W_re, W_im (O, I), g (I,)."""
    x, W_re, W_im, g = _f64(x), _f64(W_re), _f64(W_im), _f64(g)
    gc = np.clip(g, 0.0, 1.0)
    r = gc * (np.abs(x) + eps) + (1.0 - gc)
    k = np.pi * gc * (x < 0)
    log_r = np.log(r)
    exponent = log_r @ W_re.T - k @ W_im.T
    phase = log_r @ W_im.T + k @ W_re.T
    y = np.exp(exponent) * np.cos(phase)
    cache = {"x": x, "W_re": W_re, "W_im": W_im, "g": g, "gc": gc, "r": r, "k": k, "log_r": log_r,
             "exponent": exponent, "phase": phase, "eps": eps}
    return y, cache


def npu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = _f64(dy)
    c = cache
    mag = np.exp(c["exponent"])
    d_exp = dy * mag * np.cos(c["phase"])
    d_phase = -dy * mag * np.sin(c["phase"])
    dW_re = d_exp.T @ c["log_r"] + d_phase.T @ c["k"]
    dW_im = -d_exp.T @ c["k"] + d_phase.T @ c["log_r"]
    d_log_r = d_exp @ c["W_re"] + d_phase @ c["W_im"]
    d_k = -d_exp @ c["W_im"] + d_phase @ c["W_re"]
    dr = d_log_r / c["r"]
    x, gc = c["x"], c["gc"]
    dg = np.sum(dr * (np.abs(x) + c["eps"] - 1.0) + d_k * np.pi * (x < 0), axis=0)
    dg = dg * ((c["g"] >= 0.0) & (c["g"] <= 1.0))
    dx = dr * gc * np.sign(x)
    return dx, {"W_re": dW_re, "W_im": dW_im, "g": dg}


def real_npu_forward(x: Any, W: Any, g: Any, eps: float = float(np.finfo(np.float64).eps)
                     ) -> Tuple[np.ndarray, Cache]:
    """y = exp(log(r) @ W.T) * cos(k @ W.T): the NPU with W_im = 0. y is computed without the
    imaginary terms, as the unit defines it: through them an infinite log r would give inf · 0 =
    NaN where the RealNPU gives inf or 0. The cache (for the backward) is the NPU's."""
    W = _f64(W)
    _, cache = npu_forward(x, W, np.zeros_like(W), g, eps)
    return np.exp(cache["log_r"] @ W.T) * np.cos(cache["k"] @ W.T), cache


def real_npu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dx, grads = npu_backward(dy, cache)
    return dx, {"W": grads["W_re"], "g": grads["g"]}


# iNALU (Schlör, Ring & Hotho 2020) -----------------------------------------------------------
# One-sided choices at the kinks: min(., omega) and clip(s, -1, 1) pass gradient at equality;
# max(|x|, eps) passes it only where |x| > eps; d|W|/dW = sign(W) (sign(0) = 0); the sign path
# sign(x) gives no gradient to x.


def inalu_forward(x: Any, W_hat_a: Any, M_hat_a: Any, W_hat_m: Any, M_hat_m: Any, G: Any,
                  eps: float = 1e-7, omega: float = 20.0) -> Tuple[np.ndarray, Cache]:
    x = _f64(x)
    W_a, W_m, G = nac_weight(_f64(W_hat_a), _f64(M_hat_a)), nac_weight(_f64(W_hat_m), _f64(M_hat_m)), _f64(G)
    log_x = np.log(np.maximum(np.abs(x), eps))
    a = x @ W_a.T
    z = log_x @ W_m.T
    m = np.exp(np.minimum(z, omega))
    # sign(x)|W| + 1 - |W|, arranged as 1 + |W| (sign(x) - 1): exactly 1 for positive x
    factors = 1.0 + np.abs(W_m)[None, :, :] * (np.sign(x)[:, None, :] - 1.0)  # (B, O, I)
    s = np.prod(factors, axis=2)
    sc = np.clip(s, -1.0, 1.0)
    g, one_minus_g = sigmoid(G), sigmoid(-G)
    y = g * a + one_minus_g * (m * sc)
    cache = {"x": x, "W_a": W_a, "W_m": W_m, "G": G, "eps": eps, "omega": omega, "log_x": log_x,
             "a": a, "z": z, "m": m, "factors": factors, "s": s, "sc": sc, "g": g,
             "one_minus_g": one_minus_g,
             "hats": (_f64(W_hat_a), _f64(M_hat_a), _f64(W_hat_m), _f64(M_hat_m))}
    return y, cache


def inalu_backward(dy: Any, cache: Cache) -> Tuple[np.ndarray, Grads]:
    dy = _f64(dy)
    c = cache
    x, W_a, W_m, g, gc, m, sc = c["x"], c["W_a"], c["W_m"], c["g"], c["one_minus_g"], c["m"], c["sc"]
    da = dy * g
    dz = dy * gc * sc * m * (c["z"] <= c["omega"])
    ds = dy * gc * m * ((c["s"] >= -1.0) & (c["s"] <= 1.0))
    dG = np.sum(dy * (c["a"] - m * sc), axis=0) * (g * gc)
    factors = c["factors"]
    I = factors.shape[2]
    others = np.stack([np.prod(np.delete(factors, i, axis=2), axis=2) for i in range(I)], axis=2)
    dW_sign = np.sum(ds[:, :, None] * others * (np.sign(x)[:, None, :] - 1.0), axis=0) * np.sign(W_m)
    dW_a = da.T @ x
    dW_m = dz.T @ c["log_x"] + dW_sign
    ax = np.abs(x)
    dlog = np.where(ax > c["eps"], np.sign(x) / np.where(ax > c["eps"], ax, 1.0), 0.0)
    dx = da @ W_a + (dz @ W_m) * dlog
    W_hat_a, M_hat_a, W_hat_m, M_hat_m = c["hats"]
    ga, gm = _nac_weight_backward(dW_a, W_hat_a, M_hat_a), _nac_weight_backward(dW_m, W_hat_m, M_hat_m)
    return dx, {"W_hat_a": ga["W_hat"], "M_hat_a": ga["M_hat"], "W_hat_m": gm["W_hat"],
                "M_hat_m": gm["M_hat"], "G": dG}


def inalu_regularizer(W_hat_a: Any, M_hat_a: Any, W_hat_m: Any, M_hat_m: Any,
                      bound: float = 20.0) -> Tuple[float, Dict[str, np.ndarray]]:
    """(R, dR/dparams) with R = mean over all four arrays of max(0, bound - |v|)."""
    arrays = {"W_hat_a": _f64(W_hat_a), "M_hat_a": _f64(M_hat_a), "W_hat_m": _f64(W_hat_m),
              "M_hat_m": _f64(M_hat_m)}
    n = sum(a.size for a in arrays.values())
    R = sum(float(np.sum(np.maximum(0.0, bound - np.abs(a)))) for a in arrays.values()) / n
    return R, {k: -np.sign(a) * (np.abs(a) < bound) / n for k, a in arrays.items()}
