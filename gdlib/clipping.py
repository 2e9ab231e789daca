r"""Gradient clipping: bound the step a single exploding gradient can cause.

Both functions work **in place** on the gradient arrays, between computing the gradients and
``opt.step(params, grads)``, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` do.
"""
from __future__ import annotations

import math

import numpy as np

from ._validation import check_distinct
from .optim._base import _check_hyper

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _grad_list(grads) -> list[np.ndarray]:
    """``grads`` as a list of writable float arrays (refused, naming ``grads``, otherwise)."""
    single = isinstance(grads, np.ndarray)
    if single:
        arrays = [grads]
    elif isinstance(grads, (list, tuple)):
        arrays = list(grads)
    else:
        raise TypeError(f"Invalid grads: {type(grads).__name__} (must be a float numpy array or a "
                        "list/tuple of them: they are clipped in place)")
    for i, g in enumerate(arrays):
        where = "" if single else f"[{i}]"
        if not isinstance(g, np.ndarray):
            raise TypeError(f"Invalid grads{where}: {type(g).__name__} (must be a float numpy array: "
                            "it is clipped in place)")
        if g.dtype.kind != "f":
            raise TypeError(f"Invalid grads{where}: dtype {g.dtype} (must be floating; clipping in place "
                            "would truncate an integer array)")
        if not g.flags.writeable:
            raise ValueError(f"Invalid grads{where}: array is read-only (must be writable: it is clipped in place)")
    check_distinct(arrays, "grads", ": a shared one would count twice in the norm")
    return arrays


def clip_grad_norm(grads, max_norm) -> float:
    r"""Rescale all gradients together so their global 2-norm is at most ``max_norm``; in place.

    Parameters
    ----------
    grads : ndarray or list/tuple of ndarray
        Float arrays (any shapes), modified in place.
    max_norm : float
        :math:`c > 0`, the largest global norm let through.

    Returns
    -------
    float
        The global norm **before** clipping (for logging: a spike shows an exploding gradient).

    Raises
    ------
    TypeError
        If ``grads`` is not a float array or a list/tuple of them, or ``max_norm`` is not a
        real number.
    ValueError
        If ``max_norm`` is not finite and > 0, or a gradient is read-only or appears twice.
        Nothing is modified when a call is refused.

    Notes
    -----
    With :math:`\|g\| = \big(\sum_i \|g_i\|_2^2\big)^{1/2}` over all arrays together,

    .. math::

        g_i \leftarrow g_i \cdot \frac{c}{\|g\| + 10^{-6}}
        \quad\text{if } \frac{c}{\|g\| + 10^{-6}} < 1,\ \text{else unchanged.}

    The direction of the whole gradient is kept; only its length is capped (clipping each
    array separately would change the direction). This is ``torch.nn.utils.clip_grad_norm_``
    with ``norm_type=2``, including its ``1e-6``, so a gradient of norm exactly ``max_norm`` is
    scaled by :math:`c/(c+10^{-6})`, just below 1. A nan or inf anywhere makes the norm nan or
    inf and, as in torch with ``error_if_nonfinite=False``, every gradient becomes nan or 0
    (a nan in gives a nan out): check the returned norm. The norm is accumulated in float64.

    References
    ----------
    R. Pascanu, T. Mikolov and Y. Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013, Algorithm 1.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]
    >>> gd.clip_grad_norm(grads, max_norm=1.0)       # the norm before clipping
    5.0
    >>> np.round(grads[0], 6), np.round(grads[1].ravel(), 6)
    (array([0.6, 0. ]), array([0. , 0.8]))
    >>> g = np.array([0.3, 0.4]); gd.clip_grad_norm(g, max_norm=1.0); g   # under the cap: untouched
    0.5
    array([0.3, 0.4])
    """
    arrays = _grad_list(grads)
    max_norm = _check_hyper("max_norm", max_norm, low=0.0, low_open=True)
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays)) if arrays else 0.0
    coef = max_norm / (total + 1e-6)
    if not coef < 1.0 and not math.isnan(coef):
        return total
    with np.errstate(invalid="ignore", over="ignore"):
        for g in arrays:
            g *= g.dtype.type(coef)
    return total


def clip_grad_value(grads, clip_value) -> None:
    r"""Clamp every gradient entry to ``[-clip_value, clip_value]``, in place.

    Parameters
    ----------
    grads : ndarray or list/tuple of ndarray
        Float arrays, modified in place.
    clip_value : float
        :math:`c > 0`.

    Raises
    ------
    TypeError
        If ``grads`` is not a float array or a list/tuple of them, or ``clip_value`` is not a
        real number.
    ValueError
        If ``clip_value`` is not finite and > 0, or a gradient is read-only or appears twice.
        Nothing is modified when a call is refused.

    Notes
    -----
    :math:`g \leftarrow \min(\max(g, -c), c)` entrywise, as ``torch.nn.utils.clip_grad_value_``.
    Unlike :func:`clip_grad_norm` this changes the gradient's direction (a large entry is cut,
    a small one kept). nan stays nan (a nan in gives a nan out).

    References
    ----------
    T. Mikolov, "Statistical language models based on neural networks", PhD thesis, Brno
    University of Technology, 2012, sec. 3.2.2 (clipping each gradient entry).

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> g = np.array([-5.0, 0.2, 3.0]); gd.clip_grad_value(g, clip_value=1.0); g
    array([-1. ,  0.2,  1. ])
    """
    arrays = _grad_list(grads)
    clip_value = _check_hyper("clip_value", clip_value, low=0.0, low_open=True)
    for g in arrays:
        np.clip(g, -clip_value, clip_value, out=g)
