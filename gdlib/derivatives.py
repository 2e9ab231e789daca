r"""Finite differences: partial derivatives, gradients, Hessians and the gradient check.

Every function here treats ``f`` as a black box ``f: R^n -> R`` that takes a float
array ``x`` (of any shape) and returns a scalar. The caller's ``x`` is never modified:
the functions perturb a private float64 copy, one entry at a time, and restore that
entry after each evaluation even if ``f`` raises.

The course uses these to *check* analytic gradients (``gradient_check``), never to
train: a numerical gradient costs ``2n`` evaluations of ``f`` for ``n`` parameters.

References
----------
.. [1] CS231n, "Neural Networks Part 3: Learning and Evaluation", section *Gradient
   checks*. https://cs231n.github.io/neural-networks-3/#gradcheck
.. [2] J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer, 2006,
   section 8.1 (finite-difference derivative approximations).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._validation import check_bool

__all__ = [
    "partial_derivative",
    "numerical_gradient",
    "directional_derivative",
    "numerical_hessian",
    "relative_error",
    "gradient_check",
    "GradientCheckResult",
    "GradientCheckError",
    "METHODS",
]

#: The finite-difference schemes understood by ``partial_derivative`` and ``numerical_gradient``.
METHODS = ("forward", "backward", "central")


# --------------------------------------------------------------------------- validation
def _check_h(h, name="h"):
    """Return ``h`` as a float after checking it is a finite number > 0."""
    if isinstance(h, bool) or not isinstance(h, numbers.Real):
        raise TypeError(f"Invalid {name}: {h!r} (must be a real number > 0)")
    h = float(h)
    if not math.isfinite(h) or h <= 0.0:
        raise ValueError(f"Invalid {name}: {h!r} (must be finite and > 0)")
    return h


def _check_f(f):
    """``f`` must be callable (a nameless "'str' object is not callable" otherwise)."""
    if not callable(f):
        raise TypeError(f"Invalid f: {f!r} (must be a callable x -> float)")
    return f


def _check_method(method):
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"Invalid method: {method!r} (must be one of {', '.join(map(repr, METHODS))})")
    return method


def _float_copy(x, name="x"):
    """A float64 copy of ``x``; integers are converted (never truncated), other types refused."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise TypeError(f"Invalid {name}: {x!r} (must be array-like of real numbers)") from exc
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"Invalid {name}: array of dtype {arr.dtype} (must hold real numbers: int or float)"
        )
    return np.array(arr, dtype=np.float64, copy=True)


def _scalar(value, what="f(x)"):
    """Convert the output of ``f`` to a Python float, refusing non-scalars."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"Invalid {what}: got an array of shape {arr.shape} (f must return a scalar)")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Invalid {what}: {value!r} (f must return a real number)")
    return float(arr.reshape(()))


def _check_index(i, shape):
    """Turn ``i`` (flat int or tuple) into a flat, non-negative index into an array of ``shape``."""
    size = math.prod(shape)
    if isinstance(i, (numbers.Integral, np.integer)) and not isinstance(i, bool):
        i = int(i)
        if not -size <= i < size:
            raise ValueError(f"Invalid i: {i} (flat index out of range for x of size {size})")
        return i % size
    if isinstance(i, tuple):
        if len(i) != len(shape) or not all(
            isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, bool) for k in i
        ):
            raise ValueError(f"Invalid i: {i!r} (a tuple index must hold {len(shape)} ints for x of shape {shape})")
        for k, n in zip(i, shape):
            if not -n <= k < n:
                raise ValueError(f"Invalid i: {i!r} (out of range for x of shape {shape})")
        return int(np.ravel_multi_index(tuple(int(k) % n for k, n in zip(i, shape)), shape))
    raise TypeError(f"Invalid i: {i!r} (must be an int flat index or a tuple index)")


def _eval_shifted(f, x, flat_index, shift, flat_index2=None, shift2=0.0):
    """Evaluate ``f`` with ``x.flat[flat_index]`` shifted by ``shift`` (and, when ``flat_index2``
    is given, another entry ``x.flat[flat_index2]`` by ``shift2``); always restore the entries."""
    flat = x.reshape(-1)  # a view: x is our own contiguous copy
    old = flat[flat_index]
    old2 = None if flat_index2 is None else flat[flat_index2]
    flat[flat_index] = old + shift
    if flat_index2 is not None:
        flat[flat_index2] = old2 + shift2
    try:
        return _scalar(f(x))
    finally:
        flat[flat_index] = old
        if flat_index2 is not None:
            flat[flat_index2] = old2


def _difference(f, x, flat_index, h, method, fx=None):
    if method == "central":
        return (_eval_shifted(f, x, flat_index, h) - _eval_shifted(f, x, flat_index, -h)) / (2.0 * h)
    if fx is None:
        fx = _scalar(f(x))
    if method == "forward":
        return (_eval_shifted(f, x, flat_index, h) - fx) / h
    return (fx - _eval_shifted(f, x, flat_index, -h)) / h


# --------------------------------------------------------------------------- public API
def partial_derivative(f: Callable, x, i, h: float = 1e-5, method: str = "central") -> float:
    r"""Approximate the partial derivative :math:`\partial f / \partial x_i` by a finite difference.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, a scalar function of an array.
    x : array_like of real numbers
        The point. Integer input is converted to a float64 copy (never truncated);
        the caller's array is never modified.
    i : int or tuple of int
        Which coordinate: a flat index into ``x`` (``x.flat[i]``) or a tuple index
        (``x[i]``). Negative indices count from the end.
    h : float, default 1e-5
        Step, finite and > 0.
    method : {"forward", "backward", "central"}, default "central"
        The difference quotient (see Notes).

    Returns
    -------
    float
        The approximation of the partial derivative.

    Raises
    ------
    ValueError
        If ``h`` is not finite and positive, ``method`` is unknown, ``i`` is out of
        range, or ``f`` does not return a scalar.
    TypeError
        If ``x`` does not hold real numbers, or ``h`` or ``i`` have the wrong type.

    Notes
    -----
    With :math:`e_i` the :math:`i`-th unit vector, the three quotients are

    .. math::

        D^+_h &= \frac{f(x + h e_i) - f(x)}{h}
              = \partial_i f(x) + \tfrac{h}{2} \partial_i^2 f(x) + O(h^2), \\
        D^-_h &= \frac{f(x) - f(x - h e_i)}{h}
              = \partial_i f(x) - \tfrac{h}{2} \partial_i^2 f(x) + O(h^2), \\
        D^c_h &= \frac{f(x + h e_i) - f(x - h e_i)}{2h}
              = \partial_i f(x) + \tfrac{h^2}{6} \partial_i^3 f(x) + O(h^4),

    by Taylor's theorem: the one-sided (forward, backward) errors are :math:`O(h)`, the
    central error is :math:`O(h^2)` because the even terms cancel.

    Round-off: each evaluation of ``f`` carries a relative error of about machine
    epsilon :math:`\varepsilon_{\text{mach}} \approx 2.2 \times 10^{-16}`, which the division by
    :math:`h` amplifies to about :math:`\varepsilon_{\text{mach}} |f| / h`. The total error is
    therefore smallest near :math:`h \approx \sqrt{\varepsilon_{\text{mach}}} \approx 10^{-8}` for
    one-sided and :math:`h \approx \varepsilon_{\text{mach}}^{1/3} \approx 10^{-5}` for central
    differences (hence the default), and grows again for smaller ``h``.

    References
    ----------
    .. [1] J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., 2006, section 8.1.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: x[0] ** 2 * x[1]
    >>> round(partial_derivative(f, np.array([3.0, 2.0]), 0), 6)    # 2 x0 x1 = 12
    12.0
    >>> round(partial_derivative(f, np.array([3.0, 2.0]), 1), 6)    # x0**2 = 9
    9.0
    >>> round(partial_derivative(f, [3, 2], 0, h=1e-3, method="forward"), 3)  # O(h) error: +h x1
    12.002
    """
    h = _check_h(h)
    _check_f(f)
    method = _check_method(method)
    x = _float_copy(x)
    flat_index = _check_index(i, x.shape)
    return float(_difference(f, x, flat_index, h, method))


def numerical_gradient(f: Callable, x, h: float = 1e-5, method: str = "central") -> np.ndarray:
    r"""Approximate the gradient of ``f: R^n -> R`` at ``x`` by finite differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : array_like of real numbers, any shape
        The point. Integer input is converted to a float64 copy; the caller's array
        is never modified.
    h : float, default 1e-5
        Step, finite and > 0.
    method : {"forward", "backward", "central"}, default "central"
        The difference quotient for every coordinate (see ``partial_derivative``).

    Returns
    -------
    numpy.ndarray
        float64 array of the same shape as ``x``: entry ``k`` approximates
        :math:`\partial f / \partial x_k`.

    Raises
    ------
    ValueError
        If ``h`` is not finite and positive, ``method`` is unknown, or ``f`` does not
        return a scalar.
    TypeError
        If ``x`` does not hold real numbers.

    Notes
    -----
    Coordinate :math:`i` uses :math:`D_h f(x)_i` with the chosen quotient, so the
    error is :math:`O(h)` for forward/backward and :math:`O(h^2)` for central
    differences, plus a round-off term of about :math:`\varepsilon_{\text{mach}} |f(x)| / h`.
    Cost: :math:`2n` evaluations of ``f`` (central) or :math:`n + 1` (one-sided),
    which is why training uses analytic gradients and this only checks them.

    ``scipy.optimize.approx_fprime(x, f)`` computes the same for a 1-D ``x`` but
    with *forward* differences (``method="forward"`` here) and a step of
    :math:`\sqrt{\varepsilon_{\text{mach}}}` by default; this function defaults to central
    differences and accepts ``x`` of any shape.

    References
    ----------
    .. [1] CS231n, "Optimization: Stochastic Gradient Descent", section *Computing the
       gradient numerically with finite differences*.
       https://cs231n.github.io/optimization-1/

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: np.sum(x ** 2)          # gradient 2 x
    >>> np.round(numerical_gradient(f, np.array([[1.0, -2.0], [0.5, 3.0]])), 6)
    array([[ 2., -4.],
           [ 1.,  6.]])
    """
    h = _check_h(h)
    _check_f(f)
    method = _check_method(method)
    x = _float_copy(x)
    fx = None if method == "central" else _scalar(f(x))
    grad = np.empty(x.shape, dtype=np.float64)
    grad_flat = grad.reshape(-1)
    for k in range(x.size):
        grad_flat[k] = _difference(f, x, k, h, method, fx=fx)
    return grad


def directional_derivative(f: Callable, x, direction, h: float = 1e-5, normalize: bool = True) -> float:
    r"""Approximate the directional derivative :math:`D_u f(x) = \nabla f(x) \cdot u`.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : array_like of real numbers
        The point (never modified).
    direction : array_like of real numbers
        The direction :math:`u`, same shape as ``x``, not all zero.
    h : float, default 1e-5
        Step, finite and > 0.
    normalize : bool, default True
        Divide ``direction`` by its Euclidean norm first, so the result is the rate of
        change per unit *distance*. With ``False`` the result scales with
        :math:`\|u\|`.

    Returns
    -------
    float
        The central-difference approximation of :math:`D_u f(x)`.

    Raises
    ------
    ValueError
        If ``h`` is not finite and positive, ``direction`` has another shape than
        ``x``, is zero (with ``normalize=True``) or not finite.
    TypeError
        If ``x`` or ``direction`` do not hold real numbers.

    Notes
    -----
    .. math::

        D_u f(x) = \lim_{s \to 0} \frac{f(x + s u) - f(x)}{s} = \nabla f(x) \cdot u
        \approx \frac{f(x + h u) - f(x - h u)}{2h},

    a central difference along :math:`u` with error :math:`O(h^2)` (and round-off of
    about :math:`\varepsilon_{\text{mach}} |f| / h`). It costs two evaluations of ``f``, whatever
    the dimension. Among unit vectors, :math:`u = \nabla f / \|\nabla f\|` maximises
    it (Cauchy-Schwarz): the gradient points uphill fastest.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: x[0] ** 2 + 3 * x[1]    # gradient (2 x0, 3) = (2, 3) at (1, 5)
    >>> round(directional_derivative(f, np.array([1.0, 5.0]), np.array([3.0, 4.0])), 6)
    3.6
    >>> round(directional_derivative(f, [1.0, 5.0], [3.0, 4.0], normalize=False), 6)
    18.0
    """
    h = _check_h(h)
    _check_f(f)
    x = _float_copy(x)
    u = _float_copy(direction, name="direction")
    if u.shape != x.shape:
        raise ValueError(f"Invalid direction: shape {u.shape} (must equal the shape of x, {x.shape})")
    if not np.all(np.isfinite(u)):
        raise ValueError(f"Invalid direction: {u!r} (must be finite)")
    if check_bool(normalize, "normalize"):
        norm = float(np.linalg.norm(u))
        if norm == 0.0:
            raise ValueError(f"Invalid direction: {u!r} (must not be zero when normalize=True)")
        u = u / norm
    return (_scalar(f(x + h * u)) - _scalar(f(x - h * u))) / (2.0 * h)


def numerical_hessian(f: Callable, x, h: float = 1e-4) -> np.ndarray:
    r"""Approximate the Hessian of ``f: R^n -> R`` by central second differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : array_like of real numbers, any shape
        The point (never modified).
    h : float, default 1e-4
        Step, finite and > 0. Larger than for gradients because the round-off now
        grows like :math:`\varepsilon_{\text{mach}} |f| / h^2`.

    Returns
    -------
    numpy.ndarray
        Shape ``x.shape + x.shape``, symmetric: ``H[i][j]`` approximates
        :math:`\partial^2 f / \partial x_i \partial x_j` (``i``, ``j`` index ``x``).

    Raises
    ------
    ValueError
        If ``h`` is not finite and positive or ``f`` does not return a scalar.
    TypeError
        If ``x`` does not hold real numbers.

    Notes
    -----
    Diagonal and off-diagonal entries use

    .. math::

        H_{ii} &\approx \frac{f(x + h e_i) - 2 f(x) + f(x - h e_i)}{h^2}, \\
        H_{ij} &\approx \frac{f(x + h e_i + h e_j) - f(x + h e_i - h e_j)
                        - f(x - h e_i + h e_j) + f(x - h e_i - h e_j)}{4 h^2},

    both with truncation error :math:`O(h^2)` and round-off of about
    :math:`\varepsilon_{\text{mach}} |f| / h^2` (so ``h`` near
    :math:`\varepsilon_{\text{mach}}^{1/4} \approx 10^{-4}`).
    Only :math:`j > i` is computed and mirrored, so the result is exactly symmetric,
    as the Hessian of a :math:`C^2` function is (Schwarz's theorem).
    Cost: about :math:`2 n^2` evaluations of ``f``.

    References
    ----------
    .. [1] J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., 2006,
       section 8.1, eq. (8.21).

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: x[0] ** 2 * x[1] + 3 * x[1] ** 2     # H = [[2 x1, 2 x0], [2 x0, 6]]
    >>> np.round(numerical_hessian(f, np.array([1.0, 2.0])), 5)
    array([[4., 2.],
           [2., 6.]])
    """
    h = _check_h(h)
    _check_f(f)
    x = _float_copy(x)
    n = x.size
    fx = _scalar(f(x))
    H = np.empty((n, n), dtype=np.float64)

    def f_at(i, si, j=None, sj=0.0):
        return _eval_shifted(f, x, i, si, j, sj)

    for i in range(n):
        H[i, i] = (f_at(i, h) - 2.0 * fx + f_at(i, -h)) / (h * h)
        for j in range(i + 1, n):
            H[i, j] = H[j, i] = (
                f_at(i, h, j, h) - f_at(i, h, j, -h) - f_at(i, -h, j, h) + f_at(i, -h, j, -h)
            ) / (4.0 * h * h)
    return H.reshape(x.shape + x.shape)


def relative_error(a, b):
    r"""Elementwise relative error :math:`|a - b| / \max(|a|, |b|)`, 0 where both are 0.

    Parameters
    ----------
    a, b : array_like of real numbers
        Broadcastable arrays (or scalars).

    Returns
    -------
    float or numpy.ndarray
        A float for scalar inputs, else an array of the broadcast shape, in ``[0, 2]``
        (``nan`` where an input is ``nan``: a nan in gives a nan out, as in numpy). Infinities
        follow the formula's limits: 0 for equal infinities, 1 for an infinity against a finite
        number, 2 for opposite infinities.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` do not broadcast.
    TypeError
        If ``a`` or ``b`` do not hold real numbers.

    Notes
    -----
    .. math::

        \mathrm{rel}(a, b) = \frac{|a - b|}{\max(|a|, |b|)}

    is symmetric and scale-free, unlike :math:`|a - b|` (meaningless without the
    scale of the gradient) or :math:`|a - b| / |a|` (undefined when :math:`a = 0`).
    CS231n's notes [1]_ write the max ("or add" the two magnitudes, as its assignment code
    does, with a floor of ``1e-8`` in the denominator); the two choices differ by at most a
    factor 2. Near a stationary point both values are tiny and the ratio is
    dominated by round-off: check gradients at generic points.

    References
    ----------
    .. [1] CS231n, "Neural Networks Part 3", section *Gradient checks: use the relative
       error for the comparison*. https://cs231n.github.io/neural-networks-3/#gradcheck

    Examples
    --------
    >>> round(relative_error(1.0, 1.01), 8)     # 0.01 / 1.01
    0.00990099
    >>> relative_error([0.0, 2.0], [0.0, -2.0])
    array([0., 2.])
    >>> relative_error([np.inf, np.inf, np.inf, np.nan], [1.0, np.inf, -np.inf, 1.0])
    array([ 1.,  0.,  2., nan])
    """
    a = _float_copy(a, name="a")
    b = _float_copy(b, name="b")
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError as exc:
        raise ValueError(f"Invalid a, b: shapes {a.shape} and {b.shape} do not broadcast") from exc
    with np.errstate(divide="ignore", invalid="ignore"):
        num = np.abs(a - b)
        den = np.maximum(np.abs(a), np.abs(b))
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    # Infinities, by the limits of the formula: equal ones agree (0), one infinite and one finite
    # differ by 1, opposite infinities by 2; inf/inf would otherwise be nan.
    inf_a, inf_b = np.isinf(a), np.isinf(b)
    out = np.where(inf_a & inf_b, np.where(a == b, 0.0, 2.0), np.where(inf_a | inf_b, 1.0, out))
    out = np.where(np.isnan(a) | np.isnan(b), np.nan, out)
    if out.ndim == 0:
        return float(out)
    return out


# --------------------------------------------------------------------------- gradient check
class GradientCheckError(AssertionError):
    """Raised by ``gradient_check`` when the analytic and numerical gradients disagree.

    A subclass of ``AssertionError`` so that a failed check fails a test like an
    ``assert``. The message names the worst index and both values.
    """


def _verdict(max_rel_error: float) -> str:
    """CS231n's rule of thumb for a relative error, as a sentence."""
    e = max_rel_error
    if not math.isfinite(e):
        return f"relative error {e}: not finite, the gradient is wrong (or f is not finite here)"
    if e > 1e-2:
        return f"relative error {e:.3g} > 1e-2: the gradient is probably wrong"
    if e > 1e-4:
        return f"relative error {e:.3g} in (1e-4, 1e-2]: uncomfortable, look for a bug"
    if e > 1e-7:
        return (
            f"relative error {e:.3g} in (1e-7, 1e-4]: fine for objectives with kinks "
            "(ReLU, SVM hinge), too high otherwise"
        )
    return f"relative error {e:.3g} <= 1e-7: good"


@dataclass(frozen=True)
class GradientCheckResult:
    """The outcome of ``gradient_check``.

    Attributes
    ----------
    rel_error : numpy.ndarray
        Elementwise relative error, shape of ``x``.
    max_rel_error : float
        Its maximum.
    worst_index : tuple of int
        Where the maximum is (an index into ``x``).
    analytic, numerical : numpy.ndarray
        The two gradients compared.
    verdict : str
        CS231n's rule of thumb applied to ``max_rel_error``.
    passed : bool
        ``max_rel_error <= threshold``.
    threshold : float
        The threshold used.
    """

    rel_error: np.ndarray
    max_rel_error: float
    worst_index: tuple
    analytic: np.ndarray
    numerical: np.ndarray
    verdict: str
    passed: bool
    threshold: float

    def __bool__(self) -> bool:
        return self.passed


def gradient_check(
    f: Callable,
    x,
    analytic_grad,
    h: float = 1e-5,
    threshold: float = 1e-4,
    raise_on_fail: bool = True,
) -> GradientCheckResult:
    r"""Compare an analytic gradient with a central-difference one.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : array_like of real numbers, any shape
        Where to check (never modified). Use a generic point, not a stationary
        point where both gradients are ~0 and the relative error is round-off.
    analytic_grad : array_like or callable
        The gradient to check: an array of ``x``'s shape, or a callable
        ``x -> gradient`` (called on a float64 copy of ``x``).
    h : float, default 1e-5
        Finite-difference step, finite and > 0.
    threshold : float, default 1e-4
        The largest acceptable relative error, finite and > 0.
    raise_on_fail : bool, default True
        Raise ``GradientCheckError`` when ``max_rel_error > threshold``; with
        ``False`` return the result (``passed=False``) instead.

    Returns
    -------
    GradientCheckResult
        With ``rel_error``, ``max_rel_error``, ``worst_index``, ``analytic``,
        ``numerical``, ``verdict``, ``passed``, ``threshold``.

    Raises
    ------
    GradientCheckError
        If the check fails and ``raise_on_fail``; the message names the worst index,
        both values there and the verdict.
    ValueError
        If ``analytic_grad`` has another shape than ``x``, or ``h``/``threshold``
        are not finite and positive.
    TypeError
        If ``x`` or ``analytic_grad`` do not hold real numbers.

    Notes
    -----
    The numerical gradient uses central differences, error :math:`O(h^2)`. The
    comparison is the relative error :math:`|a - n| / \max(|a|, |n|)` elementwise;
    the verdict follows CS231n's rule of thumb [1]_ for its maximum :math:`e`:

    * :math:`e > 10^{-2}`: the gradient is probably wrong;
    * :math:`10^{-4} < e \le 10^{-2}`: uncomfortable;
    * :math:`10^{-7} < e \le 10^{-4}`: fine for objectives with kinks (ReLU, SVM),
      too high otherwise;
    * :math:`e \le 10^{-7}`: good.

    Elsewhere: ``torch.autograd.gradcheck`` also uses central differences
    (``eps=1e-6``) but passes when :math:`|a - n| \le \mathrm{atol} + \mathrm{rtol}\,|n|`
    elementwise (``atol=1e-5``, ``rtol=1e-3``), a mixed absolute/relative test;
    ``scipy.optimize.check_grad`` returns the Euclidean norm of
    :math:`a - n` with a forward-difference :math:`n`, which depends on the
    gradient's scale. The relative error used here is scale-free.

    References
    ----------
    .. [1] CS231n, "Neural Networks Part 3: Learning and Evaluation", section
       *Gradient checks*. https://cs231n.github.io/neural-networks-3/#gradcheck

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: np.sum(x ** 3)
    >>> x = np.array([1.0, -2.0, 0.5])
    >>> result = gradient_check(f, x, lambda x: 3 * x ** 2)
    >>> result.passed, result.max_rel_error < 1e-7
    (True, True)
    >>> gradient_check(f, x, np.array([3.0, 12.0, 0.0]))   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gdlib.derivatives.GradientCheckError: Gradient check failed at index (2,): analytic 0.0 vs numerical 0.75...
    """
    h = _check_h(h)
    _check_f(f)
    threshold = _check_h(threshold, name="threshold")
    raise_on_fail = check_bool(raise_on_fail, "raise_on_fail")
    x = _float_copy(x)
    if callable(analytic_grad):
        analytic = _float_copy(analytic_grad(x.copy()), name="analytic_grad")
    else:
        analytic = _float_copy(analytic_grad, name="analytic_grad")
    if analytic.shape != x.shape:
        raise ValueError(
            f"Invalid analytic_grad: shape {analytic.shape} (must equal the shape of x, {x.shape})"
        )
    numerical = numerical_gradient(f, x, h=h, method="central")
    rel = np.asarray(relative_error(analytic, numerical), dtype=np.float64).reshape(x.shape)
    if rel.size == 0:
        worst, max_rel = (), 0.0
    elif np.any(np.isnan(rel)):
        worst = tuple(int(k) for k in np.unravel_index(int(np.argmax(np.isnan(rel))), x.shape))
        max_rel = float("nan")
    else:
        worst = tuple(int(k) for k in np.unravel_index(int(np.argmax(rel)), x.shape))
        max_rel = float(rel[worst])
    passed = bool(max_rel <= threshold)  # False for nan
    result = GradientCheckResult(
        rel_error=rel,
        max_rel_error=max_rel,
        worst_index=worst,
        analytic=analytic,
        numerical=numerical,
        verdict=_verdict(max_rel),
        passed=passed,
        threshold=threshold,
    )
    if not passed and raise_on_fail:
        raise GradientCheckError(
            f"Gradient check failed at index {worst}: analytic {float(analytic[worst])!r} vs numerical "
            f"{float(numerical[worst])!r} (relative error {max_rel:.3g} > threshold {threshold:g}); "
            f"{result.verdict}"
        )
    return result
