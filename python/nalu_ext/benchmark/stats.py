"""Success statistics over runs, as the arithmetic-unit literature reports them."""

from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np


def wilson_interval(successes: int, runs: int, z: float = 1.959963984540054) -> Tuple[float, float, float]:
    """(rate, low, high): the success rate with its Wilson score interval (95% by default)."""
    if runs <= 0 or not 0 <= successes <= runs:
        raise ValueError(f"need 0 <= successes <= runs and runs > 0, got {successes}, {runs}")
    p = successes / runs
    denom = 1.0 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denom
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denom
    # the bounds are exact at the ends (0 of n, n of n); rounding must not put them past p
    low = 0.0 if successes == 0 else min(p, centre - half)
    high = 1.0 if successes == runs else max(p, centre + half)
    return p, low, high


def fisher_exact(successes_a: int, runs_a: int, successes_b: int, runs_b: int) -> float:
    """The two-sided p-value of Fisher's exact test that two success rates are the same: the
    probability, given both margins, of a 2×2 table at most as likely as the observed one (the
    hypergeometric distribution of the first group's successes), as R's fisher.test and SciPy's
    fisher_exact compute it (tables within a relative 1e-7 of the observed probability count as
    equally likely)."""
    for count, runs in ((successes_a, runs_a), (successes_b, runs_b)):
        if runs <= 0 or not 0 <= count <= runs:
            raise ValueError(f"need 0 <= successes <= runs and runs > 0, got {count}, {runs}")
    total = successes_a + successes_b
    n = runs_a + runs_b
    low, high = max(0, total - runs_b), min(total, runs_a)

    def log_probability(k: int) -> float:  # P(k successes in the first group | the margins)
        return (_log_comb(runs_a, k) + _log_comb(runs_b, total - k)) - _log_comb(n, total)

    observed = log_probability(successes_a)
    p = sum(math.exp(q) for q in map(log_probability, range(low, high + 1)) if q <= observed + 1e-7)
    return min(1.0, p)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


# Above this many lattice cells (n·m) the two-sample KS p-value comes from the asymptotic series.
_KS_EXACT_CELLS = 250_000


def ks_2samp(a: Sequence[float], b: Sequence[float]) -> Tuple[float, float]:
    """(D, p): the two-sample Kolmogorov–Smirnov statistic (the largest gap between the two
    empirical distribution functions, ties included) and its two-sided p-value under the
    hypothesis that both samples come from one continuous distribution. p is exact (the share of
    the C(n + m, n) orderings of the pooled sample whose gap reaches D: SciPy's ``method="exact"``)
    up to n·m = 250 000, and from the Kolmogorov series with Stephens' correction beyond. With
    ties (solved-at steps are multiples of the logging interval) the test is conservative.

    Parameters
    ----------
    a, b : sequences of finite floats, at least one value each

    Returns
    -------
    (float, float)
    """
    x, y = (np.sort(np.asarray(v, dtype=np.float64)) for v in (a, b))
    for name, v in (("a", x), ("b", y)):
        if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
            raise ValueError(f"ks_2samp: {name} must be a non-empty 1-D sequence of finite numbers, got {v.shape} "
                             f"with {int(np.sum(~np.isfinite(v)))} non-finite value(s)")
    n, m = len(x), len(y)
    pooled = np.concatenate([x, y])
    # Gap counted in units of 1/(n m), so that D is exact and compared without rounding.
    gap = int(np.max(np.abs(np.searchsorted(x, pooled, side="right") * m - np.searchsorted(y, pooled, side="right") * n)))
    d = gap / (n * m)
    if n * m <= _KS_EXACT_CELLS:
        return d, min(1.0, max(0.0, 1.0 - _ks_probability_inside(n, m, gap)))
    en = n * m / (n + m)
    lam = (math.sqrt(en) + 0.12 + 0.11 / math.sqrt(en)) * d
    series = 2.0 * sum((-1) ** (k - 1) * math.exp(-2.0 * k * k * lam * lam) for k in range(1, 101))
    return d, min(1.0, max(0.0, series))


def _ks_probability_inside(n: int, m: int, gap: int) -> float:
    """P(|i m − j n| < gap at every point of a uniformly random lattice path from (0, 0) to (n, m)):
    the path steps right (a value of the first sample) from (i, j) with probability
    (n − i) / (n + m − i − j), so the path probabilities need no binomial coefficients."""
    row = [0.0] * (m + 1)  # row[j]: P(reaching (i, j) inside), for the current i
    row[0] = 1.0
    for j in range(1, m + 1):
        row[j] = row[j - 1] * (m - (j - 1)) / (n + m - (j - 1)) if j * n < gap else 0.0
    for i in range(1, n + 1):
        new = [0.0] * (m + 1)
        for j in range(m + 1):
            if abs(i * m - j * n) >= gap:
                continue
            p = row[j] * (n - (i - 1)) / (n + m - (i - 1) - j)  # from (i − 1, j), a step in i
            if j:
                p += new[j - 1] * (m - (j - 1)) / (n + m - i - (j - 1))  # from (i, j − 1)
            new[j] = p
        row = new
    return row[m]


def median_interval(values: Sequence[float], confidence: float = 0.95) -> Tuple[float, float]:
    """A distribution-free interval for the median of the population the values were drawn from:
    the order statistics (x_(k), x_(n+1-k)), 1-based, with the largest k whose coverage,
    1 − 2·P(Binomial(n, ½) < k), is still at least ``confidence`` (k = 2 for n = 10: 97.9%).
    With too few values for that coverage (n < 6 at 95%) it is (min, max) and covers less."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0:
        raise ValueError("median_interval needs at least one value")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    below = 0.0  # P(Binomial(n, 1/2) < k), for k = 1, 2, ...
    k = 1
    while k < (n + 1) / 2:
        below += math.comb(n, k - 1) / 2.0 ** n  # now P(B < k); k + 1 is allowed if P(B < k + 1) fits
        if 1 - 2 * (below + math.comb(n, k) / 2.0 ** n) < confidence:
            break
        k += 1
    return float(x[k - 1]), float(x[n - k])


def summarize(success: Sequence[bool], solved_at: Sequence[Optional[int]],
              sparsity_error: Sequence[float]) -> Dict[str, Any]:
    """Success rate with its Wilson 95% interval; median and mean 'solved at' step and mean
    sparsity error, both over the successful runs only, the median with its :func:`median_interval`
    (None when there are none; a sparsity error
    of nan, unknown, is left out of the mean); `reached`:
    the runs that met the criterion at some logged step, whether or not they ended below it;
    `solved_at_values` and `sparsity_errors`: those of the successful runs, in run order (what
    the distributions are compared by, :func:`ks_2samp`)."""
    if not (len(success) == len(solved_at) == len(sparsity_error)):
        raise ValueError("success, solved_at and sparsity_error need one entry per run")
    ok = [i for i, s in enumerate(success) if s]
    rate, low, high = wilson_interval(len(ok), len(success))
    steps = [int(step) for step in (solved_at[i] for i in ok) if step is not None]
    sparsity = [float(sparsity_error[i]) for i in ok if not math.isnan(sparsity_error[i])]
    return {
        "runs": len(success), "successes": len(ok),
        "reached": sum(step is not None for step in solved_at), "rate": rate, "rate_low": low, "rate_high": high,
        "solved_at_median": float(np.median(steps)) if steps else None,
        "solved_at_mean": float(np.mean(steps)) if steps else None,
        "solved_at_interval": median_interval(steps) if steps else None,
        "sparsity_error_mean": float(np.mean(sparsity)) if sparsity else None,
        "solved_at_values": steps, "sparsity_errors": sparsity,
    }
