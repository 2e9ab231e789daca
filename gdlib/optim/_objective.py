"""What an optimizer that reads the objective itself (Newton, L-BFGS) checks before its step.

First-order optimizers see only ``grads``. :class:`~gdlib.optim.Newton` needs the Hessian at the
point and :class:`~gdlib.optim.LBFGS` evaluates ``f`` and its gradient along a line, so their
``step(params, grads, objective)`` takes the objective: anything with ``__call__(x)`` (the value),
``grad(x)`` and, for Newton, ``hessian(x)``; every :class:`gdlib.functions.TestFunction` has all
three, and :func:`gdlib.runner.minimize` passes one (counting its evaluations).
"""
from __future__ import annotations

import numpy as np

__all__: list[str] = []


def check_objective(objective, needs: tuple[str, ...], who: str) -> None:
    """``TypeError`` naming ``objective`` unless it is callable and has each method in ``needs``."""
    listing = ", ".join(["__call__(x)"] + [f"{n}(x)" for n in needs])
    if objective is None:
        raise TypeError(f"Invalid objective: None ({who}.step needs the objective, an object with {listing}: "
                        f"call step(params, grads, objective=f) with f a gdlib TestFunction, or use gd.minimize, "
                        f"which passes it)")
    if not callable(objective):
        raise TypeError(f"Invalid objective: {type(objective).__name__} is not callable (must have {listing})")
    for name in needs:
        if not callable(getattr(objective, name, None)):
            raise TypeError(f"Invalid objective: {type(objective).__name__} has no {name}(x) method ({who} needs "
                            f"{listing}; gd.minimize takes {name}= for a plain callable)")


def single_array(params, who: str) -> np.ndarray:
    """The one float array an objective is a function of; a list of arrays is a ``TypeError``."""
    if isinstance(params, (list, tuple)):
        raise TypeError(f"Invalid params: a {type(params).__name__} of {len(params)} arrays ({who} updates the "
                        f"single array x that the objective f(x) is a function of: pass that array)")
    return params
