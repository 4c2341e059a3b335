"""Maximum-likelihood driver shared by the BG/NBD and Gamma-Gamma fits.

Both models are optimised over log-parameters inside a box, with an analytic
gradient of the *mean* negative log-likelihood (so tolerances do not depend on
the number of customers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from ._arrays import FloatArray

Objective = Callable[[FloatArray], tuple[float, FloatArray]]

# L-BFGS-B often ends with "ABNORMAL_TERMINATION_IN_LNSRCH" *at* the optimum,
# where rounding noise in a sum over many rows defeats the line search.  A
# gradient this small (per customer, per log-parameter) means the parameters
# are within a tiny fraction of a standard error of the optimum, so we accept.
_ACCEPT_GRADIENT = 1e-6


def minimise(objective: Objective, start: FloatArray, bound: float) -> FloatArray:
    """Minimise over the box [-bound, bound]^k; ValueError if it cannot converge."""
    bounds = [(-bound, bound)] * len(start)
    res = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
    )
    if _converged(objective, res):
        return np.asarray(res.x, dtype=np.float64)
    # The simplex needs no gradient, so it can finish where the line search gave up.
    nm = optimize.minimize(
        lambda th: objective(th)[0],
        res.x if np.all(np.isfinite(res.x)) else start,
        method="Nelder-Mead",
        bounds=bounds,
        options={"maxiter": 20000, "maxfev": 40000, "xatol": 1e-9, "fatol": 1e-13},
    )
    if not (nm.success and np.isfinite(nm.fun)):
        raise ValueError(f"maximum-likelihood fit did not converge: {nm.message}")
    return np.asarray(nm.x, dtype=np.float64)


def _converged(objective: Objective, res: optimize.OptimizeResult) -> bool:
    if not (np.all(np.isfinite(res.x)) and np.isfinite(res.fun)):
        return False
    if res.success:
        return True
    value, grad = objective(np.asarray(res.x, dtype=np.float64))
    return bool(np.isfinite(value) and np.max(np.abs(grad)) <= _ACCEPT_GRADIENT)


def check_interior(theta: FloatArray, names: Sequence[str], bound: float, model: str) -> None:
    """An optimum on the box edge means the likelihood keeps improving towards a
    parameter of 0 or infinity: report it instead of returning absurd numbers."""
    at_bound = np.abs(theta) >= bound - 1e-3
    if np.any(at_bound):
        which = ", ".join(n for n, hit in zip(names, at_bound, strict=True) if hit)
        raise ValueError(
            f"the data cannot identify the {model} model: the estimate of {which} runs off "
            "towards 0 or infinity (too few customers or repeat purchases, or too little "
            "variation)"
        )
