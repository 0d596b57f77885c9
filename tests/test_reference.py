"""The NumPy reference against central finite differences: the oracle is itself checked."""

from __future__ import annotations

import numpy as np
import pytest

from nalu_ext import reference as R
from nalu_ext.units import nac, nalu
from helpers import check_against_fd, numeric_gradient

ISA_INDEPENDENT = True  # NumPy only

@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 2), (5, 2, 3)])
def test_nac_backward_matches_finite_differences(shape, rng):
    B, I, O = shape
    arrays = {"x": rng.normal(size=(B, I)), "W_hat": rng.normal(size=(O, I)),
              "M_hat": rng.normal(size=(O, I))}
    check_against_fd(nac.nac_forward, nac.nac_backward, arrays, rng)


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 2), (5, 2, 3)])
def test_nalu_backward_matches_finite_differences(shape, rng):
    B, I, O = shape
    # |x| in [0.5, 2] with both signs: away from the kink of |x| at 0.
    x = rng.uniform(0.5, 2.0, size=(B, I)) * rng.choice([-1.0, 1.0], size=(B, I))
    arrays = {"x": x, "W_hat": rng.normal(size=(O, I)), "M_hat": rng.normal(size=(O, I)),
              "G": rng.normal(size=(O, I))}
    check_against_fd(nalu.nalu_forward, nalu.nalu_backward, arrays, rng, eps=1e-7)


def test_nalu_gradient_at_zero_input_takes_sign_zero(rng):
    """At x = 0, |x| has a kink; the documented choice sign(0) = 0 drops the log path's term.

    A central difference is symmetric, so it sees the same zero slope of log(|x| + eps), provided
    its step h is far below eps (else m moves between 0 and ±h): h = 1e-11 = eps / 1e4 leaves a
    1e-4 relative effect of m's change and 2e-5 of rounding, hence rtol 1e-3."""
    O, I = 2, 3
    W_hat, M_hat, G = (rng.normal(size=(O, I)) for _ in range(3))
    x = np.array([[0.0, 1.5, -0.7]])
    dy = rng.normal(size=(1, O))
    _, cache = nalu.nalu_forward(x, W_hat, M_hat, G)
    dx, _ = nalu.nalu_backward(dy, cache)
    W = R.nac_weight(W_hat, M_hat)
    g, m, a = cache["g"], cache["m"], cache["a"]
    additive_and_gate_only = (dy * g) @ W[:, :1] + (dy * (a - m) * g * (1 - g)) @ G[:, :1]
    np.testing.assert_allclose(dx[:, :1], additive_and_gate_only, rtol=1e-12)

    def loss() -> float:
        return float(np.sum(nalu.nalu_forward(x, W_hat, M_hat, G)[0] * dy))

    np.testing.assert_allclose(dx, numeric_gradient(loss, x, h=1e-11), rtol=1e-3)


def test_sigmoid_is_accurate_in_both_tails():
    z = np.array([-800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0])
    s = R.sigmoid(z)
    assert s[3] == 0.5
    assert s[0] == 0.0 and s[-1] == 1.0  # no overflow warning, exact limits
    np.testing.assert_allclose(s[1], np.exp(-40.0), rtol=1e-14)  # tail kept, not rounded to 0
    np.testing.assert_allclose(s[2] + s[4], 1.0, rtol=1e-15)
