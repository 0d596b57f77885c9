"""Bad input gets a clear exception naming what was expected and what arrived, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import nalu_ext

# Every registered unit: this is the bad-input half of the contract (tests/test_contract.py).
UNITS = [nalu_ext.UNITS[name] for name in sorted(nalu_ext.UNITS)]


@pytest.fixture(params=UNITS, ids=lambda c: c.__name__)
def layer(request):
    return request.param(3, 2, seed=0, dtype="float64")


@pytest.mark.parametrize("shape, received", [((3,), r"\(3,\)"), ((2, 3, 1), r"\(2, 3, 1\)"),
                                             ((4, 5), r"\(4, 5\)"), ((), r"\(\)")])
def test_forward_wrong_shape_names_expected_and_received(layer, shape, received):
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, 3\), got shape " + received):
        layer.forward(np.zeros(shape))


def test_one_dimensional_input_gets_a_hint(layer):
    with pytest.raises(ValueError, match=r"single sample as shape \(1, 3\)"):
        layer.forward(np.zeros(3))


@pytest.mark.parametrize("bad", [np.zeros((2, 3), complex), np.zeros((2, 3), bool),
                                 np.array([["a", "b", "c"]]), np.array([[None, 1, 2]], dtype=object),
                                 None])
def test_forward_unsupported_dtype_is_a_type_error(layer, bad):
    with pytest.raises(TypeError, match="expected x with a real dtype|expected x as a NumPy array"):
        layer.forward(bad)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.float16, np.float32, np.float64])
def test_real_dtypes_are_converted_to_the_layer_dtype(layer, dtype):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    np.testing.assert_array_equal(layer.forward(x), layer.forward(x.astype(np.float64)))
    assert layer.forward(x).dtype == np.float64


def test_nested_lists_are_accepted(layer):
    np.testing.assert_array_equal(layer.forward([[1, 2, 3]]), layer.forward(np.array([[1.0, 2, 3]])))


def test_non_contiguous_and_fortran_inputs_match_contiguous(layer, rng):
    wide = rng.normal(size=(5, 6))
    strided = wide[:, ::2]
    fortran = np.asfortranarray(strided)
    reversed_rows = strided[::-1]
    contiguous = np.ascontiguousarray(strided)
    expected = layer.forward(contiguous)
    dy = rng.normal(size=(5, 2))
    dx_expected = layer.backward(dy)
    for x in (strided, fortran):
        np.testing.assert_array_equal(layer.forward(x), expected)
        np.testing.assert_array_equal(layer.backward(np.asfortranarray(dy)), dx_expected)
        np.testing.assert_array_equal(layer.backward(dy[:, ::1]), dx_expected)
    # Rows that move within the batch may differ in the last bit (a vector body and its scalar
    # epilogue contract multiply-adds differently); same positions above are bit-exact. In
    # evaluation mode: the sNMU's training noise belongs to a row's position in the batch.
    layer.eval()
    np.testing.assert_allclose(layer.forward(reversed_rows), layer.forward(contiguous)[::-1], rtol=1e-15, atol=1e-300)


def test_empty_batch_gives_empty_results_and_zero_gradients(layer):
    y = layer.forward(np.zeros((0, 3)))
    assert y.shape == (0, 2)
    dx = layer.backward(np.zeros((0, 2)))
    assert dx.shape == (0, 3)
    for g in layer.grads.values():
        np.testing.assert_array_equal(g, 0.0)


def test_nan_and_inf_propagate_row_by_row(layer):
    """A NaN input makes its row NaN; an infinite one gives what the unit's formula gives, as
    the reference says (no finite output from the NAC and the NALU; an exp(log|x| · W) is 0 where
    W < 0); the other rows are untouched."""
    x = np.array([[1.0, 2.0, 3.0], [np.nan, 1.0, 1.0], [np.inf, 1.0, 1.0]])
    y = layer.forward(x)
    with np.errstate(all="ignore"):
        y_ref = layer.reference_forward(x)[0]
    assert np.isfinite(y[0]).all()
    np.testing.assert_allclose(y[0], layer.forward(x[:1])[0], rtol=1e-15)
    assert np.isnan(y[1]).all()
    np.testing.assert_array_equal(np.isfinite(y[2]), np.isfinite(y_ref[2]))
    if type(layer).__name__ in ("NAC", "NALU"):
        assert not np.isfinite(y[2]).any()


def test_backward_before_forward_is_a_clear_error(layer):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.zeros((1, 2)))


def test_backward_checks_dy(layer):
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"expected dy of shape \(batch, 2\), got shape \(4, 3\)"):
        layer.backward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="dy has batch 5 but the last forward had batch 4"):
        layer.backward(np.zeros((5, 2)))
    with pytest.raises(TypeError, match="real dtype"):
        layer.backward(np.zeros((4, 2), complex))


def test_failed_forward_leaves_no_stale_state(layer):
    with pytest.raises(ValueError):
        layer.forward(np.zeros((4, 7)))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((4, 2)))


@pytest.mark.parametrize("cls", UNITS)
@pytest.mark.parametrize("args, exc, message", [
    ((0, 2), ValueError, "in_features must be a positive integer, got 0"),
    ((2, -1), ValueError, "out_features must be a positive integer, got -1"),
    ((2.5, 2), TypeError, "in_features must be an integer, got float"),
    (("3", 2), TypeError, "in_features must be an integer, got str"),
])
def test_bad_sizes(cls, args, exc, message):
    with pytest.raises(exc, match=message):
        cls(*args)


@pytest.mark.parametrize("cls", UNITS)
@pytest.mark.parametrize("dtype", ["int32", "float16", "complex64", "nonsense", object])
def test_bad_dtype(cls, dtype):
    with pytest.raises(TypeError, match="dtype must be 'float32' or 'float64'"):
        cls(2, 2, dtype=dtype)


@pytest.mark.parametrize("eps, exc", [(-1.0, ValueError), (float("nan"), ValueError),
                                      (float("inf"), ValueError), ("abc", TypeError)])
def test_bad_eps(eps, exc):
    with pytest.raises(exc, match="eps must be"):
        nalu_ext.NALU(2, 2, eps=eps)


@pytest.mark.huge_allocation
@pytest.mark.parametrize("cls", UNITS)
def test_impossible_sizes_raise_instead_of_crashing(cls):
    with pytest.raises((ValueError, MemoryError)):
        cls(10**10, 10**10)  # 1e20 parameters: the size itself overflows
    # it said MemoryError('std::bad_alloc'), naming neither the layer nor the size
    with pytest.raises(MemoryError, match=rf"^{cls.__name__}\(1000000, 1000000\): the parameters do not fit in "
                                          r"memory \(one \(1000000, 1000000\) weight matrix alone is 1e\+12 float32 "
                                          r"values, 4\.0 TB\)$"):
        cls(10**6, 10**6)    # 1e12 parameters: 4 TB
