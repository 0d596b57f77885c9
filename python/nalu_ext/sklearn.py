"""A scikit-learn regressor over any stack of nalu_ext units (the optional ``[sklearn]`` extra).

``ArithmeticRegressor(units=("NAU", "NMU"), hidden_sizes=(2,))`` fits ``y ≈ NMU(NAU(X))`` with
nalu_ext's own optimizers and C++ training loop (:func:`nalu_ext.fit`), and is a scikit-learn
estimator like any other: ``fit``/``predict``/``score`` (R²), ``get_params``/``set_params``,
``Pipeline``, ``GridSearchCV``, pickling, one or several outputs. It passes every check of
scikit-learn's ``check_estimator`` (tests/test_sklearn.py runs them).

What the units are for: relations that *are* arithmetic (sums, differences, products, powers of
the input columns), learned so that they extrapolate outside the training range. They are not a
general-purpose regressor; and since they learn the arithmetic of the columns as given, scaling the
inputs (``StandardScaler``) before them usually destroys what they could find.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

try:
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # the optional extra (validate_data and the tags API: scikit-learn 1.6)
    raise ImportError("nalu_ext.sklearn needs scikit-learn >= 1.6: pip install 'scikit-learn>=1.6' (nalu_ext's [sklearn] extra)") from err

from . import _checks
from .errors import TrainingDiverged
from .layers import UNITS
from .model import Sequential
from .optim import OPTIMIZERS
from .train import fit as fit_model

_SEED_BOUND = 2**31  # seeds drawn from random_state for the layers and the batch order


class ArithmeticRegressor(RegressorMixin, BaseEstimator):
    """A stack of neural arithmetic units fitted by mean squared error.

    Parameters
    ----------
    units : sequence of str
        The layers' units, first to last, names of ``nalu_ext.UNITS`` (e.g. ``("NAU", "NMU")``).
    hidden_sizes : sequence of int
        The widths between the layers: one fewer than ``units`` (``()`` for a single layer).
    optimizer : "Adam", "SGD" or "RMSprop"
    learning_rate : float
    steps : int
        Optimizer steps (each on one batch).
    batch_size : int or None
        Rows per step, drawn in a fresh random order every epoch; at most the number of rows
        (so a small table trains full-batch). None: every row, every step.
    regularizer : float
        λ̂ of the sparsity regularizer of the units that have one (NAU, NMU, ...), ramped up from
        step ``reg_start`` to ``reg_end``; 0 leaves it off.
    reg_start, reg_end : int
    init : str, sequence of str, or None
        Initialisation scheme, one for every layer or one per layer (each unit's ``INITS``);
        None: each unit's default.
    dtype : "float64" or "float32"
        The precision the model computes in; predictions are returned as float64.
    random_state : int, numpy.random.RandomState or None
        Seeds the initialisation and the batch order: the same integer gives the same model.
    progress : bool
        Show a progress bar while fitting.

    Attributes
    ----------
    model_ : nalu_ext.Sequential
        The fitted stack (its layers' ``params`` are the learned weights).
    history_ : nalu_ext.History
        The training losses of every step.
    n_steps_ : int
        Steps applied: ``steps``, or fewer when training diverged (see :meth:`fit`).
    n_features_in_ : int
    n_outputs_ : int
    """

    def __init__(self, units: Sequence[str] = ("NAU", "NMU"), hidden_sizes: Sequence[int] = (2,), *,
                 optimizer: str = "Adam", learning_rate: float = 1e-2, steps: int = 5000,
                 batch_size: Optional[int] = 128, regularizer: float = 0.0, reg_start: int = 0,
                 reg_end: int = 0, init: Union[None, str, Sequence[str]] = None,
                 dtype: str = "float64", random_state: Any = None, progress: bool = False) -> None:
        # scikit-learn's rule: store the arguments unchanged and check them in fit
        self.units = units
        self.hidden_sizes = hidden_sizes
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.steps = steps
        self.batch_size = batch_size
        self.regularizer = regularizer
        self.reg_start = reg_start
        self.reg_end = reg_end
        self.init = init
        self.dtype = dtype
        self.random_state = random_state
        self.progress = progress

    def __sklearn_tags__(self) -> Any:
        """Multi-output aware (y of shape (rows, outputs) fits one model with that many outputs)."""
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any) -> "ArithmeticRegressor":
        """Fits the stack to (X, y).

        When a step's loss or update would be NaN or infinite, training stops there: the model
        keeps the parameters of the last good step, a ``ConvergenceWarning`` says so, and
        ``n_steps_`` counts the steps applied.

        Parameters
        ----------
        X : array_like, (rows, features)
        y : array_like, (rows,) or (rows, outputs)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        one_output = y.ndim == 1
        Y = y.reshape(-1, 1) if one_output else y
        dtype = np.dtype(_checks.choice(self.dtype, "dtype", ("float64", "float32")))
        x_fit, y_fit = self._as_model_dtype(X, dtype, "X"), self._as_model_dtype(Y, dtype, "y")
        rng = check_random_state(self.random_state)
        model = self._build(X.shape[1], Y.shape[1], dtype, rng)
        optimizer = OPTIMIZERS[_checks.choice(self.optimizer, "optimizer", tuple(OPTIMIZERS))](
            model.parameters(), lr=_checks.real(self.learning_rate, "learning_rate", minimum=0.0))
        batch = None if self.batch_size is None else min(_checks.positive(self.batch_size, "batch_size"), len(X))
        regularized = any(layer.has_regularizer for layer in model.layers)
        schedule: Dict[str, Any] = ({"regularizer": self.regularizer, "reg_start": self.reg_start,
                                     "reg_end": self.reg_end} if self.regularizer and regularized else {})
        if self.regularizer and not regularized:
            raise ValueError(f"regularizer={self.regularizer!r} was given but none of the units "
                             f"{tuple(self.units)} has a regularizer")
        try:
            history = fit_model(model, optimizer, x_fit, y_fit, steps=_checks.positive(self.steps, "steps"),
                                batch_size=batch, seed=int(rng.randint(_SEED_BOUND)),
                                progress=bool(self.progress), **schedule)
        except TrainingDiverged as err:
            assert err.history is not None  # fit always attaches it
            warnings.warn(f"{err} The estimator keeps the parameters of step {err.step}.", ConvergenceWarning,
                          stacklevel=2)
            history = err.history
        self.model_, self.history_, self.n_steps_ = model, history, history.steps
        self.n_outputs_, self._one_output = Y.shape[1], one_output
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The fitted stack's output for X, as float64: (rows,) when fitted on a 1-d y, else
        (rows, outputs).

        Parameters
        ----------
        X : array_like, (rows, n_features_in_)

        Returns
        -------
        numpy.ndarray
        """
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with self.model_.evaluating():  # the NMRU's exact reciprocal
            out = np.asarray(self.model_.predict(self._as_model_dtype(X, self.model_.dtype, "X")), dtype=np.float64)
        return out.ravel() if self._one_output else out

    def _build(self, n_in: int, n_out: int, dtype: np.dtype, rng: np.random.RandomState) -> Sequential:
        units = _names(self.units)
        hidden = _widths(self.hidden_sizes, len(units))
        inits = _inits(self.init, len(units))
        widths = [n_in, *hidden, n_out]
        return Sequential(*(UNITS[name](widths[k], widths[k + 1], dtype=dtype, seed=int(rng.randint(_SEED_BOUND)),
                                        init=inits[k])
                            for k, name in enumerate(units)))

    @staticmethod
    def _as_model_dtype(a: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
        with np.errstate(over="ignore"):  # reported below, as an error
            out = np.ascontiguousarray(a, dtype=dtype)
        if dtype != a.dtype and not np.all(np.isfinite(out)):
            raise ValueError(f"{what} has values beyond {dtype}'s range; use dtype='float64'")
        return out


def _names(units: Any) -> List[str]:
    if isinstance(units, str) or not isinstance(units, Sequence) or not units:
        raise ValueError(f"units must be a non-empty sequence of unit names such as ('NAU', 'NMU'), got {units!r}")
    for name in units:
        if name not in UNITS:
            raise ValueError(f"unknown unit {name!r} in units; known: {', '.join(UNITS)}")
    return list(units)


def _widths(hidden_sizes: Any, n_units: int) -> List[int]:
    if isinstance(hidden_sizes, (int, np.integer)):
        hidden_sizes = (hidden_sizes,)
    if not isinstance(hidden_sizes, Sequence) or len(hidden_sizes) != n_units - 1:
        raise ValueError(f"hidden_sizes must give the {n_units - 1} width(s) between {n_units} units, "
                         f"got {hidden_sizes!r}")
    return [_checks.positive(w, "hidden_sizes[]") for w in hidden_sizes]


def _inits(init: Any, n_units: int) -> List[Optional[str]]:
    if init is None or isinstance(init, str):
        return [init] * n_units
    if not isinstance(init, Sequence) or len(init) != n_units:
        raise ValueError(f"init must be None, one scheme name, or one per unit ({n_units}), got {init!r}")
    return list(init)
