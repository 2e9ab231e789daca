r"""Self-checks for the labs: compare a student's function with gdlib's reference.

Each ``check_*`` function calls the student's function on several inputs
(including edge cases), compares what comes back with gdlib's own
implementation, and either prints one short line (``"numerical_gradient: all
6 checks passed"``) or raises :class:`CheckFailed` with one sentence that says
what was expected, what came back and where to look. A check never shows the
answer's code: its hints name the concept (the sign of the update, the batch
average, the bias correction), not the line to type.

When the student's function still raises ``NotImplementedError`` (the stub of
the student notebook), the check raises :class:`ExerciseNotImplemented`, which
is both a :class:`CheckFailed` and a ``NotImplementedError``, with a message
naming the exercise.

Notes
-----
Tolerances: values computed the same way as the reference (optimizer steps,
schedules, losses) must agree to ``rtol=1e-6`` (a student's ``numerical_gradient``, computed
exactly as the reference, to ``rtol=1e-7``); analytic gradients compared with
central finite differences to ``rtol=1e-5`` (the central difference with
:math:`h = 10^{-5}` is accurate to about :math:`10^{-10}` relative on the
smooth test inputs used here, so a correct answer passes with a wide margin
and a real bug, which changes a component by far more, fails).

Examples
--------
>>> import gdlib as gd
>>> check_numerical_gradient(gd.numerical_gradient)
numerical_gradient: all 6 checks passed
>>> def numerical_gradient(f, x, h=1e-5):
...     raise NotImplementedError("loop over the components of x")
>>> check_numerical_gradient(numerical_gradient)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
gdlib.checks.ExerciseNotImplemented: numerical_gradient is not written yet...
"""
from __future__ import annotations

import numbers

import numpy as np

from . import derivatives as _derivatives
from ._validation import check_bool, check_int, check_real, check_real_array
from . import losses as _losses

__all__ = [
    "CheckFailed",
    "ExerciseNotImplemented",
    "check_numerical_gradient",
    "check_gradient",
    "check_svm_loss_grad",
    "check_gradient_descent",
    "check_divergence_threshold",
    "check_momentum_step",
    "check_nesterov_step",
    "check_adagrad_step",
    "check_rmsprop_step",
    "check_adam_step",
    "check_two_layer_backward",
    "check_schedule",
    "check_accuracy",
    "check_digits_training",
    "check_newton_schulz",
    "check_lion_step",
    "check_radam_step",
    "check_muon_step",
    "check_sign_schedule",
]


class CheckFailed(AssertionError):
    """A lab check found a wrong answer; the message says what and where to look.

    In IPython and Jupyter the failure shows as the sentence alone, not as a traceback
    through this module (``_render_traceback_``, IPython's hook for custom tracebacks).
    When the student's function crashed, the traceback of that crash is shown first, cut
    to the student's own frames.
    """

    def _render_traceback_(self) -> list[str]:
        lines: list[str] = []
        cause = self.__cause__
        if cause is not None and cause.__traceback__ is not None:
            lines = _student_traceback(cause)
        red, reset = "\x1b[0;31m", "\x1b[0m"
        return lines + [f"{red}{type(self).__name__}{reset}: {self}"]


def _student_traceback(exc: BaseException) -> list[str]:
    """IPython-style traceback of ``exc`` without the frames of this module."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    if tb is None:
        return []
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return list(shell.InteractiveTB.structured_traceback(type(exc), exc, tb)) + [""]
    except Exception:  # pragma: no cover - fall back to the plain formatter
        pass
    import traceback

    return ["".join(traceback.format_exception(type(exc), exc, tb))]


class ExerciseNotImplemented(CheckFailed, NotImplementedError):
    """The student's function still raises ``NotImplementedError`` (the exercise is not done)."""


# --------------------------------------------------------------------------- helpers
def _fmt(value) -> str:
    """Short, readable rendering of a number or array for a message."""
    if isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool):
        return f"{float(value) + 0.0:.6g}"  # + 0.0: no "-0"
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        return repr(value)
    if arr.ndim == 0:
        return f"{float(arr) + 0.0:.6g}"
    if arr.size > 12:
        return f"<array of shape {arr.shape}>"
    if arr.ndim == 1:
        return "[" + ", ".join(f"{float(v) + 0.0:.4g}" for v in arr) + "]"
    return "[" + ", ".join(_fmt(row) for row in arr) + "]"


def _fmt_pair(expected, got) -> tuple[str, str]:
    """Two numbers with just enough digits to tell them apart (6 at least, 15 at most)."""
    e, g = float(expected) + 0.0, float(got) + 0.0
    for digits in range(6, 16):
        a, b = f"{e:.{digits}g}", f"{g:.{digits}g}"
        if a != b:
            return a, b
    return a, b


def _where(index, shape) -> str:
    if len(shape) <= 1:
        return f"component {index[0] if index else 0}"
    return f"entry {tuple(int(i) for i in index)}"


def _check_str(value, name, optional=False):
    """The instructor's text arguments (names, hints): a ``str`` (or ``None`` when ``optional``)."""
    if optional and value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"Invalid {name}: {value!r} (must be a str)")
    return value


def _check_target(target):
    """An accuracy bar in (0, 1] (the instructor's argument: a ``ValueError``, never a failed check)."""
    target = check_real(target, "target")
    if not 0 < target <= 1:
        raise ValueError(f"Invalid target: {target!r} (must be in (0, 1])")
    return target


def _passed(name: str, n_checks: int) -> None:
    print(f"{name}: all {n_checks} checks passed")


def _call(name: str, fn, *args, **kwargs):
    """Call the student's ``fn``; turn NotImplementedError and crashes into readable failures."""
    __tracebackhide__ = True  # noqa: F841 (IPython and pytest hide this frame)
    if not callable(fn):
        raise TypeError(f"Invalid {name}: {fn!r} (must be the function you wrote)")
    try:
        return fn(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise ExerciseNotImplemented(
            f"{name} is not written yet: it raised NotImplementedError{detail}. Replace the "
            f"'# YOUR CODE HERE' lines in the exercise cell above, run that cell, then run this check again."
        ) from None
    except Exception as exc:
        raise CheckFailed(
            f"{name} crashed with {type(exc).__name__}: {str(exc).rstrip('.')}. The traceback above shows the line in "
            f"your function; check the shapes and types of what you compute there."
        ) from exc


def _as_array(name: str, what: str, got, expected_shape, context: str, shape_hint: str = "") -> np.ndarray:
    __tracebackhide__ = True  # noqa: F841
    if got is None:
        raise CheckFailed(f"{name}{context}: {what} is None; did you forget a return statement?")
    if len(tuple(expected_shape)) > 0 and not isinstance(got, np.ndarray):
        raise CheckFailed(
            f"{name}{context}: {what} is a {type(got).__name__}, expected a numpy array of shape "
            f"{tuple(expected_shape)}; convert it with np.array(...) before returning it (arithmetic such as "
            f"x - 1 fails on a list)"
        )
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(
            f"{name}{context}: {what} should be numbers of shape {expected_shape}, got {type(got).__name__} {got!r}"
        ) from None
    if arr.shape != tuple(expected_shape):
        if not shape_hint:
            shape_hint = ("return one value per component of the input" if arr.size != int(np.prod(expected_shape))
                          else "reshape it like the input")
        raise CheckFailed(
            f"{name}{context}: {what} has shape {arr.shape}, expected shape {tuple(expected_shape)}; {shape_hint}"
        )
    return arr


def _ratio_hint(expected: np.ndarray, got: np.ndarray) -> str:
    """Recognise the commonest slips: sign flipped, off by a constant factor."""
    mask = np.abs(expected) > 1e-12
    if not np.any(mask):
        return "every component should be 0 here"
    r = got[mask] / expected[mask]
    if np.all(np.isfinite(r)) and np.allclose(r, r[0], rtol=1e-4) and np.allclose(got[~mask], 0, atol=1e-9):
        k = float(r[0])
        if np.isclose(k, -1.0, rtol=1e-4):
            return "every component has the wrong sign; check the sign"
        if not np.isclose(k, 1.0, rtol=1e-4):
            return f"every component is {k:.4g} times the expected one; check the constant factor"
    return ""


def _compare(name, what, expected, got, context="", hint="", rtol=1e-6, atol=1e-12, hint_fn=None,
             shape_hint=""):
    """Raise CheckFailed naming the first wrong entry if ``got`` is not close to ``expected``."""
    __tracebackhide__ = True  # noqa: F841
    expected = np.asarray(expected, dtype=np.float64)
    got = _as_array(name, what, got, expected.shape, context, shape_hint=shape_hint)
    if not np.all(np.isfinite(got)):
        idx = np.unravel_index(int(np.argmin(np.isfinite(got).ravel())), got.shape) if got.ndim else ()
        where = f" in {_where(idx, got.shape)}" if got.ndim else ""
        specific = hint_fn(expected, got) if hint_fn is not None else ""
        hints = "; ".join(h for h in (specific, hint) if h)
        raise CheckFailed(
            f"{name}{context}: {what} is not finite{where} (got {_fmt(got[idx])}); look for a division by 0 "
            f"or an overflow" + (f"; {hints}" if hints else "")
        )
    err = np.abs(got - expected) / (atol + rtol * np.abs(expected))
    if np.all(err <= 1.0):
        return
    specific = hint_fn(expected, got) if hint_fn is not None else ""
    generic = _ratio_hint(expected.ravel(), got.ravel()) if expected.size > 1 else ""
    if expected.size == 1 and not specific:
        e, g = float(expected), float(got)
        if e != 0 and np.isclose(g, -e, rtol=1e-4):
            generic = "it has the wrong sign; check the sign"
        elif e != 0 and g != 0:
            generic = f"it is {g / e:.4g} times the expected value; check the constant factor"
    hints = "; ".join(h for h in (specific, generic, hint) if h)
    tail = f"; {hints}" if hints else ""
    if got.ndim == 0:
        e, g = _fmt_pair(expected, got)
        raise CheckFailed(f"{name}{context}: {what} is wrong: expected {e}, got {g}{tail}")
    idx = np.unravel_index(int(np.argmax(err.ravel() > 1.0)), err.shape)  # the first wrong entry
    e, g = _fmt_pair(expected[idx], got[idx])
    raise CheckFailed(f"{name}{context}: {what} is wrong in {_where(idx, got.shape)}: expected {e}, got {g}{tail}")


def _unpack(name: str, got, names: tuple[str, ...], context: str) -> tuple:
    __tracebackhide__ = True  # noqa: F841
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = type(got).__name__ if not isinstance(got, (tuple, list)) else f"{len(got)} values"
        raise CheckFailed(
            f"{name}{context}: expected your function to return {len(names)} values ({', '.join(names)}), "
            f"got {what}"
        )
    return tuple(got)


# --------------------------------------------------------------------------- lab 1: finite differences
def _ng_cases():
    w = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    return [
        ("f(x) = sum(x**2) at x = [1, -2, 3]", lambda x: float(np.sum(x**2)), np.array([1.0, -2.0, 3.0])),
        ("f(x) = x0**2 * x1 at x = [3, 2]", lambda x: float(x[0] ** 2 * x[1]), np.array([3.0, 2.0])),
        ("f(x) = sum(exp(x)) at x = [1, 0.5]", lambda x: float(np.sum(np.exp(x))), np.array([1.0, 0.5])),
        ("f(x) = sum(w * x**3) on a 2x3 matrix x", lambda x: float(np.sum(w * x**3)),
         np.array([[0.5, 1.0, -1.5], [2.0, -0.5, 1.0]])),
        ("f(x) = sin(x0) on a single component x = [0.3]", lambda x: float(np.sin(x[0])), np.array([0.3])),
        ("f(x) = sum(x**2) at an integer array x = np.array([1, 2])", lambda x: float(np.sum(x**2)),
         np.array([1, 2])),
    ]


def check_numerical_gradient(numerical_gradient):
    r"""Check a student's ``numerical_gradient(f, x, h=1e-5)`` (central differences).

    Parameters
    ----------
    numerical_gradient : callable
        ``numerical_gradient(f, x) -> ndarray`` shaped like ``x``, using its own default ``h``.

    Raises
    ------
    CheckFailed
        If a component differs from :func:`gdlib.derivatives.numerical_gradient` by more
        than ``rtol=1e-7`` (which a forward difference, error :math:`O(h)`, does not meet, and
        a central one, error :math:`O(h^2)`, meets by far), if the shape is wrong, or if the
        function leaves ``x`` modified.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.

    Notes
    -----
    Six cases: a separable quadratic, a product, exponentials (large curvature: a forward
    difference is off by :math:`\approx h f''/2`), a 2x3 matrix input (loop over every entry,
    not only rows), a single component, and an integer array (shifting an entry of an integer
    array by :math:`h` truncates it back: the lab's pitfall).

    Examples
    --------
    >>> import gdlib as gd
    >>> check_numerical_gradient(lambda f, x, h=1e-5: -gd.numerical_gradient(f, x, h))
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: numerical_gradient, case 1 (f(x) = sum(x**2) at x = [1, -2, 3]): the gradient is wrong in component 0: expected 2, got -2; every component has the wrong sign; check the sign
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    name = "numerical_gradient"
    cases = _ng_cases()
    for i, (desc, f, x) in enumerate(cases, 1):
        context = f", case {i} ({desc})"
        x_before = x.copy()
        got = _call(name, numerical_gradient, f, x)
        if not np.array_equal(x, x_before):
            idx = np.unravel_index(int(np.argmax((x != x_before).ravel())), x.shape)
            now, was = _fmt_pair(x[idx], x_before[idx])
            raise CheckFailed(
                f"{name}{context}: your function left the caller's x modified ({_where(idx, x.shape)} is now {now}, "
                f"was {was}); restore each component after evaluating f, or work on a copy"
            )
        expected = _derivatives.numerical_gradient(f, x)
        forward = _derivatives.numerical_gradient(f, x, method="forward")
        backward = _derivatives.numerical_gradient(f, x, method="backward")

        def hint_fn(exp, g, forward=forward, backward=backward):
            g = np.asarray(g)
            if np.allclose(g, forward, rtol=1e-9, atol=1e-12) or np.allclose(g, backward, rtol=1e-9, atol=1e-12):
                return ("you used a one-sided difference, whose error is O(h); use the central difference "
                        "(error O(h^2))")
            if np.allclose(g, 2 * exp, rtol=1e-6):
                return "the two evaluations are 2h apart: divide by 2h"
            return ""

        matrix_hint = ("x is a matrix here: shift one entry at a time (np.ndindex(x.shape) visits them all), "
                       "not whole rows" if x.ndim > 1 else "")
        if x.dtype.kind in "iu":
            matrix_hint = ("x holds integers here, so x[i] + h stored back into x (or into an integer copy or an "
                           "integer result array) is truncated to an integer; work on a float copy, "
                           "np.array(x, dtype=float), and return a float array")
        _compare(name, "the gradient", expected, got, context, hint=matrix_hint, rtol=1e-7, atol=1e-9,
                 hint_fn=hint_fn)
    _passed(name, len(cases))


def check_gradient(grad, f, points, name="grad", unpack=False, arg_names=None):
    r"""Check an analytic gradient ``grad`` of ``f`` against central finite differences.

    Parameters
    ----------
    grad : callable
        The student's gradient: ``grad(x) -> ndarray`` shaped like ``x`` or, with
        ``unpack=True``, ``grad(*x) -> tuple`` with one derivative per argument.
    f : callable
        The function, ``f(x) -> float`` (or ``f(*x)`` with ``unpack=True``).
    points : sequence of array_like
        Where to compare; each point is one check.
    name : str, default "grad"
        The name of the student's function, used in messages.
    unpack : bool, default False
        Whether the point's components are passed as separate arguments.
    arg_names : sequence of str, optional
        Names of those arguments for messages (default ``x, y, z, u, v, w``).

    Raises
    ------
    CheckFailed
        If a component differs from :func:`gdlib.derivatives.numerical_gradient` by more
        than ``rtol=1e-5`` (plus ``1e-7`` absolute).
    ExerciseNotImplemented
        If ``grad`` still raises ``NotImplementedError``.
    TypeError, ValueError
        For the instructor's arguments (``f`` not callable, no points, a point that is not
        finite real numbers, ``unpack`` not a bool, ``arg_names`` of the wrong count), before
        ``grad`` is called.

    Examples
    --------
    >>> f = lambda x, y, z: (x + y) * z
    >>> wrong = lambda x, y, z: (z, z, x - y)
    >>> check_gradient(wrong, f, [(-2.0, 5.0, -4.0)], name="circuit_backward", unpack=True)
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: circuit_backward at (x, y, z) = [-2, 5, -4]: the gradient is wrong in component 2: expected 3, got -7
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    if not callable(f):
        raise TypeError(f"Invalid f: {f!r} (must be callable)")
    name = _check_str(name, "name")
    unpack = check_bool(unpack, "unpack")
    if isinstance(points, (str, bytes)) or not hasattr(points, "__iter__"):
        raise TypeError(f"Invalid points: {points!r} (must be a list of points)")
    points = [check_real_array(p, f"points[{i}]") for i, p in enumerate(points)]
    if not points:
        raise ValueError("Invalid points: [] (need at least one point)")
    for i, p in enumerate(points):
        if p.size == 0 or not np.all(np.isfinite(p)):
            raise ValueError(f"Invalid points[{i}]: {_fmt(p)} (must be a non-empty point of finite numbers)")
    if arg_names is not None:
        if isinstance(arg_names, str) or not all(isinstance(a, str) for a in arg_names):
            raise TypeError(f"Invalid arg_names: {arg_names!r} (must be a list of str)")
        arg_names = list(arg_names)
    # Everything the instructor passed is checked before the student's function is first called.
    for p in points:
        if unpack and arg_names is not None and len(arg_names) != p.size:
            raise ValueError(f"Invalid arg_names: {arg_names!r} (need {p.size} names)")
        try:
            float(f(*p.tolist()) if unpack else f(p.copy()))
        except (TypeError, ValueError) as exc:   # the instructor's f: not the student's fault
            raise TypeError(f"Invalid f: it fails at {_fmt(p)} ({type(exc).__name__}: {exc}; "
                            "must return one real number)") from None
    for p in points:
        names = list(arg_names) if arg_names is not None else (
            list("xyzuvw"[: p.size]) if p.size <= 6 else [f"x{k}" for k in range(p.size)])
        label = "(" + ", ".join(names) + ")" if unpack else "x"
        context = f" at {label} = {_fmt(p)}"
        if unpack:
            expected = _derivatives.numerical_gradient(lambda v: float(f(*v)), p)
            got = _call(name, grad, *p.tolist())
            got = _unpack(name, got, tuple(f"d{c}" for c in names), context)
            got = np.array([float(np.asarray(g)) if np.asarray(g).size == 1 else np.nan for g in got])
        else:
            expected = _derivatives.numerical_gradient(lambda v: float(f(v)), p)
            got = _call(name, grad, p.copy())
        _compare(name, "the gradient", expected, got, context, rtol=1e-5, atol=1e-7)
    _passed(name, len(points))


def _svm_cases():
    rng = np.random.default_rng(5)
    return [
        ("CS231n's example, scores [13, -7, 11], y = 0, delta = 10", np.array([[13.0, -7.0, 11.0]]),
         np.array([0]), 10.0),
        ("a batch of 4 samples, 3 classes", rng.normal(size=(4, 3)), np.array([0, 2, 1, 2]), 1.0),
        ("two classes violate the margin in every row", np.array([[0.0, 1.0, 2.0], [1.0, 0.5, 0.2]]),
         np.array([0, 2]), 1.0),
        ("a margin exactly at the kink (subgradient 0 there)", np.array([[1.0, 0.0, -3.0]]), np.array([0]), 1.0),
        ("every sample right by more than the margin", np.array([[5.0, 0.0, 1.0], [0.0, 4.0, 2.0]]),
         np.array([0, 1]), 1.0),
    ]


def check_svm_loss_grad(svm_loss_grad):
    r"""Check a student's ``svm_loss_grad(scores, y, delta=1.0) -> (loss, dscores)``.

    The reference is :func:`gdlib.losses.svm_loss`: the hinge loss averaged over the
    batch, :math:`\mathcal L = \frac1N \sum_i \sum_{j \ne y_i} \max(0, s_{ij} - s_{iy_i} + \Delta)`,
    and its gradient with respect to the scores.

    Raises
    ------
    CheckFailed
        If the loss or a component of the gradient is off (``rtol=1e-6``).
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.

    Examples
    --------
    >>> import gdlib as gd
    >>> check_svm_loss_grad(lambda s, y, delta=1.0: gd.svm_loss(s, y, delta=delta))
    svm_loss_grad: all 5 checks passed
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    name = "svm_loss_grad"
    cases = _svm_cases()
    for i, (desc, scores, y, delta) in enumerate(cases, 1):
        context = f", case {i} ({desc})"
        loss_ref, grad_ref = _losses.svm_loss(scores, y, delta=delta)
        got = _call(name, svm_loss_grad, scores.copy(), y.copy(), delta=delta)
        loss, grad = _unpack(name, got, ("loss", "dscores"), context)
        n = scores.shape[0]

        def loss_hint(exp, g, n=n):
            if n > 1 and np.isclose(float(g), float(exp) * n, rtol=1e-6):
                return "you summed over the batch; the loss is the mean over the N samples"
            return ""

        _compare(name, "the loss", loss_ref, loss, context, hint_fn=loss_hint)

        def grad_hint(exp, g, n=n, y=y):
            rows = np.arange(n)
            if n > 1 and np.allclose(g, exp * n, rtol=1e-6):
                return "divide the gradient by N too: the loss is a mean over the batch"
            other = np.ones_like(exp, dtype=bool)
            other[rows, y] = False
            if np.allclose(g[other], exp[other], rtol=1e-6) and not np.allclose(g[rows, y], exp[rows, y]):
                return ("the wrong classes are right but the correct class is not: its score appears in every "
                        "violated margin with a minus sign, so it gets minus the number of violating classes")
            return ""

        _compare(name, "dscores", grad_ref, grad, context, hint_fn=grad_hint)
    _passed(name, len(cases))


# --------------------------------------------------------------------------- lab 2: gradient descent
def _reference_descent(grad, x0, learning_rate, n_steps):
    from .optim import SGD

    opt = SGD(learning_rate=learning_rate)
    x = np.array(x0, dtype=np.float64)
    xs = [x.copy()]
    for _ in range(n_steps):
        opt.step(x, np.asarray(grad(x), dtype=np.float64))
        xs.append(x.copy())
    return np.array(xs)


def check_gradient_descent(gradient_descent):
    r"""Check a student's ``gradient_descent(grad, x0, learning_rate, n_steps) -> xs``.

    ``xs`` is the array of iterates, shape ``(n_steps + 1, dim)``, starting with ``x0``;
    step :math:`k` is :math:`x_{k+1} = x_k - \eta \nabla f(x_k)`. The reference runs
    :class:`gdlib.optim.SGD` for the same number of steps.

    Raises
    ------
    CheckFailed
        If an iterate is off (``rtol=1e-6``), the array has the wrong shape, or ``x0``
        was modified.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.

    Examples
    --------
    >>> import numpy as np
    >>> def gradient_descent(grad, x0, learning_rate, n_steps):
    ...     return np.array([x0] * (n_steps + 1))
    >>> check_gradient_descent(gradient_descent)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: gradient_descent, case 1 (...): iterate 1 is wrong in component 0: ...
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .functions import Quadratic, Rosenbrock

    name = "gradient_descent"
    q = Quadratic(condition_number=10.0, angle=0.3)
    r = Rosenbrock()
    q1 = Quadratic(eigenvalues=[2.0], dim=1)
    cases = [
        ("a quadratic with condition number 10, learning_rate 0.05, 20 steps", q.grad, np.array([2.0, 1.5]), 0.05, 20),
        ("Rosenbrock from (-1.5, 2), learning_rate 1e-3, 10 steps", r.grad, np.array([-1.5, 2.0]), 1e-3, 10),
        ("a 1-D quadratic, learning_rate 0.25, 5 steps", q1.grad, np.array([3.0]), 0.25, 5),
        ("n_steps = 0 (only the start)", q.grad, np.array([1.0, -1.0]), 0.1, 0),
    ]
    for i, (desc, grad, x0, lr, n) in enumerate(cases, 1):
        context = f", case {i} ({desc})"
        x0_before = x0.copy()
        got = _call(name, gradient_descent, grad, x0, learning_rate=lr, n_steps=n)
        if not np.array_equal(x0, x0_before):
            raise CheckFailed(
                f"{name}{context}: your function modified x0 (it is now {_fmt(x0)}); update a copy, "
                f"so that the caller's starting point stays put"
            )
        expected = _reference_descent(grad, x0, lr, n)
        if got is not None and not isinstance(got, np.ndarray):
            raise CheckFailed(
                f"{name}{context}: you returned a {type(got).__name__}; return a numpy array of shape "
                f"{expected.shape} (np.array of your list of iterates), so that code like xs - x_star works"
            )
        got = np.asarray(got, dtype=np.float64) if got is not None else got
        if got is not None and got.ndim == 2 and got.shape[1] == expected.shape[1] and got.shape[0] != expected.shape[0]:
            raise CheckFailed(
                f"{name}{context}: you returned {got.shape[0]} points, expected {expected.shape[0]}: "
                f"x0 first, then one point per step"
            )
        if got is not None and got.ndim == 1 and expected.shape[0] > 1:
            raise CheckFailed(
                f"{name}{context}: you returned one point of shape {got.shape}; return every iterate, x0 first, "
                f"as an array of shape {expected.shape} (n_steps + 1 rows)"
            )
        got = _as_array(name, "the array of iterates", got, expected.shape, context)
        if n > 0 and np.all(got == got[-1]) and not np.allclose(got[-1], x0):
            raise CheckFailed(
                f"{name}{context}: every row of your array is the same point {_fmt(got[-1])}: you appended the same "
                f"array object each step and then changed it in place; append a copy (x.copy()) or compute a new x "
                f"each step (x = x - ...)"
            )
        if not np.allclose(got[0], x0):
            raise CheckFailed(f"{name}{context}: the first row should be x0 = {_fmt(x0)}, got {_fmt(got[0])}")
        for k in range(1, n + 1):
            prev = got[k - 1]
            one_step = prev - lr * np.asarray(grad(prev))

            def hint(exp, g, prev=prev, k=k):
                uphill = prev + lr * np.asarray(grad(prev))
                if np.allclose(g, uphill, rtol=1e-6):
                    return "you stepped uphill: check the sign of the update (descent goes against the gradient)"
                if k > 1:
                    right = "iterate 1 is" if k == 2 else f"iterates 1 to {k - 1} are"
                    return (f"{right} right: evaluate the gradient at the current point in every step (here at "
                            f"iterate {k - 1}), not at x0")
                return ""

            _compare(name, f"iterate {k}", one_step, got[k], context, hint_fn=hint)
        _compare(name, "the last iterate", expected[-1], got[-1], context)
    _passed(name, len(cases))


def check_divergence_threshold(find_divergence_threshold):
    r"""Check ``find_divergence_threshold(f, x0, learning_rates, n_steps=100)``.

    It must return the smallest learning rate of ``learning_rates`` (sorted increasingly)
    for which gradient descent from ``x0`` diverges within ``n_steps``, or ``None`` if none
    does. On a quadratic with largest curvature :math:`L`, gradient descent diverges exactly
    when :math:`\eta > 2/L` (and the start has a component along the top eigenvector), so
    the expected answer is the first rate of the grid above :math:`2/L`.

    Raises
    ------
    CheckFailed
        If the answer is not that rate.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .functions import Quadratic

    name = "find_divergence_threshold"
    cases = [
        (Quadratic(condition_number=10.0, angle=0.4), np.array([2.0, 1.0]),
         np.array([0.05, 0.1, 0.15, 0.18, 0.23, 0.26, 0.3])),
        (Quadratic(eigenvalues=[1.0, 4.0]), np.array([1.0, 1.0]), np.array([0.1, 0.3, 0.45, 0.56, 0.7, 1.0])),
        (Quadratic(condition_number=10.0), np.array([1.0, 1.0]), np.array([0.01, 0.05, 0.1, 0.15])),
    ]
    for i, (f, x0, lrs) in enumerate(cases, 1):
        bound = 2.0 / f.L
        above = lrs[lrs > bound]
        expected = float(above[0]) if above.size else None
        context = f", case {i} (quadratic with L = {f.L:.4g}, rates {_fmt(lrs)})"
        got = _call(name, find_divergence_threshold, f, x0.copy(), lrs.copy())
        if expected is None:
            if got is not None:
                raise CheckFailed(
                    f"{name}{context}: no rate exceeds 2/L = {bound:.4g}, so none diverges and the answer is None; "
                    f"got {_fmt(got)}: your divergence test is too strict (a slow or oscillating run is not divergent)"
                )
            continue
        if got is None:
            raise CheckFailed(
                f"{name}{context}: expected {expected:.4g} (the first rate above 2/L = {bound:.4g}), got None; "
                f"is your divergence test too lax, or do you run too few steps?"
            )
        if not isinstance(got, numbers.Real) and np.asarray(got).shape != ():
            raise CheckFailed(
                f"{name}{context}: expected one number, the smallest rate whose run diverges "
                f"({expected:.4g}), got {type(got).__name__} {_fmt(got)}"
            )
        got = float(got)
        k_exp = int(np.flatnonzero(lrs == expected)[0])
        if not np.isclose(got, expected) and got == k_exp and not np.any(np.isclose(lrs, got)):
            raise CheckFailed(
                f"{name}{context}: you returned {got:g}, the position of the rate in the grid; return the learning "
                f"rate itself ({expected:.4g}), not its index"
            )
        if not np.isclose(got, expected):
            direction = ("too strict: it calls a converging run divergent" if got < expected else
                         "too lax: it misses a run that grows")
            raise CheckFailed(
                f"{name}{context}: expected {expected:.4g} (the first rate above 2/L = {bound:.4g}), got {got:.4g}; "
                f"your divergence test looks {direction}"
            )
    _passed(name, len(cases))


# --------------------------------------------------------------------------- lab 4: the optimizer zoo
def _gradient_sequence(dim=3):
    rng = np.random.default_rng(7)
    seq = [rng.normal(size=dim) for _ in range(6)]
    seq[2] = np.zeros(dim)  # a zero gradient: the state must still decay/persist correctly
    seq[3] = seq[3] * 50.0  # a large gradient
    seq[4][0] = -seq[4][0] if seq[4][0] > 0 else seq[4][0]
    return seq


def _check_step(name, student, make_ref, buffers, settings, bugs, uses_t=False, seq=None, x_start=None):
    """Chain the student's step over a gradient sequence and compare with gdlib's optimizer.

    ``buffers``: names of the state arrays the student passes in and returns after ``x``.
    ``bugs``: list of ``(formula, hint)``; ``formula(x, dx, state_dict, hyper, t)`` returns
    ``(x, *buffers)`` as a known wrong variant would, to recognise it.
    ``seq`` / ``x_start``: the gradients and the start (default: :func:`_gradient_sequence`'s six
    gradients of 3 components, from ``[1, -2, 0.5]``); a matrix start takes matrix gradients.
    """
    __tracebackhide__ = True  # noqa: F841
    n_checks = 0
    seq = _gradient_sequence() if seq is None else seq
    x_start = np.array([1.0, -2.0, 0.5]) if x_start is None else x_start
    for hyper in settings:
        opt = make_ref(**hyper)
        x_ref = x_start.copy()
        x_s = x_start.copy()
        state_s = {b: np.zeros_like(x_start) for b in buffers}
        shown = ", ".join(f"{k}={v!r}" if isinstance(v, bool) else f"{k}={v:g}" for k, v in hyper.items())
        for k, dx in enumerate(seq):
            t = k + 1
            context = f", step {t} of {len(seq)} ({shown}, dx = {_fmt(dx)})"
            opt.step(x_ref, dx.copy())
            ref_state = opt.state[0]
            kwargs = dict(hyper)
            if uses_t:
                kwargs["t"] = t
            args = [x_s.copy(), dx.copy()] + [state_s[b].copy() for b in buffers]
            got = _call(name, student, *args, **kwargs)
            got = _unpack(name, got, ("x",) + tuple(buffers), context)
            got_arrays = [_as_array(name, f"the returned {nm}", g, x_start.shape, context) for nm, g in zip(("x",) + tuple(buffers), got)]

            def hint_fn(exp, g, x_s=x_s, dx=dx, state_s=state_s, kwargs=kwargs, t=t, got_arrays=got_arrays):
                for formula, hint in bugs:
                    with np.errstate(all="ignore"):
                        wrong = formula(x_s.copy(), dx.copy(), {b: v.copy() for b, v in state_s.items()}, kwargs, t)
                    if all(np.allclose(w, g2, rtol=1e-6, atol=1e-12, equal_nan=True)
                           for w, g2 in zip(wrong, got_arrays)):
                        return hint
                return ""

            names = ("x",) + tuple(buffers)
            ref_arrays = [x_ref] + [ref_state[b] for b in buffers]
            if not all(np.allclose(g2, r, rtol=1e-6, atol=1e-12) for g2, r in zip(got_arrays, ref_arrays)):
                import itertools

                for perm in itertools.permutations(range(len(names))):
                    if perm != tuple(range(len(names))) and all(
                            np.allclose(got_arrays[j], ref_arrays[perm[j]], rtol=1e-6, atol=1e-12)
                            for j in range(len(names))):
                        raise CheckFailed(
                            f"{name}{context}: your values are right but in the wrong order: you returned "
                            f"({', '.join(names[perm[j]] for j in range(len(names)))}); return "
                            f"({', '.join(names)})"
                        )

            for b, g in zip(buffers, got_arrays[1:]):
                _compare(name, f"the returned {b}", ref_state[b], g, context, hint_fn=hint_fn)
            _compare(name, "the returned x", x_ref, got_arrays[0], context, hint_fn=hint_fn)
            x_s = got_arrays[0].copy()
            state_s = {b: g.copy() for b, g in zip(buffers, got_arrays[1:])}
            n_checks += 1
    _passed(name, n_checks)


def check_momentum_step(momentum_step):
    r"""Check ``momentum_step(x, dx, v, learning_rate, mu) -> (x, v)`` against :class:`gdlib.optim.Momentum`.

    The update is :math:`v \leftarrow \mu v - \eta\,dx`, :math:`x \leftarrow x + v`, from
    :math:`v = 0`. The check chains six steps (a zero and a large gradient among them) for
    ``mu`` in {0.9, 0} and compares ``v`` and ``x`` after each.

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the component that is off.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.

    Examples
    --------
    >>> def momentum_step(x, dx, v, learning_rate, mu):
    ...     v = mu * v + learning_rate * dx
    ...     return x + v, v
    >>> check_momentum_step(momentum_step)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: momentum_step, step 1 of 6 (...): the returned v is wrong in component 0: ...; the velocity gets minus learning_rate times the gradient: check the sign; ...
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import Momentum

    bugs = [
        (lambda x, dx, s, h, t: ((v := h["mu"] * s["v"] + h["learning_rate"] * dx) + x, v),
         "the velocity gets minus learning_rate times the gradient: check the sign"),
        (lambda x, dx, s, h, t: (x + (v := h["mu"] * s["v"] - dx), v),
         "multiply the gradient by learning_rate"),
        (lambda x, dx, s, h, t: (x + s["v"], h["mu"] * s["v"] - h["learning_rate"] * dx),
         "move x with the new velocity, after updating v"),
    ]
    _check_step("momentum_step", momentum_step, Momentum, ("v",),
                [{"learning_rate": 0.1, "mu": 0.9}, {"learning_rate": 0.05, "mu": 0.0}], bugs)


def check_nesterov_step(nesterov_step):
    r"""Check ``nesterov_step(x, dx, v, learning_rate, mu) -> (x, v)`` against :class:`gdlib.optim.Nesterov`.

    The course's look-ahead form (``dx`` is the gradient at the stored ``x``):
    :math:`v_{prev} = v`, :math:`v \leftarrow \mu v - \eta\,dx`,
    :math:`x \leftarrow x - \mu v_{prev} + (1 + \mu) v`.

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the component that is off.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import Nesterov

    bugs = [
        (lambda x, dx, s, h, t: (x + (v := h["mu"] * s["v"] - h["learning_rate"] * dx), v),
         "that is the plain momentum step: Nesterov moves x by a combination of the previous and the new "
         "velocity (the look-ahead correction)"),
        (lambda x, dx, s, h, t: (x - h["mu"] * (v := h["mu"] * s["v"] - h["learning_rate"] * dx)
                                 + (1 + h["mu"]) * v, v),
         "the -mu term uses the velocity from before this step's update: keep a copy of v before changing it"),
    ]
    _check_step("nesterov_step", nesterov_step, Nesterov, ("v",),
                [{"learning_rate": 0.1, "mu": 0.9}, {"learning_rate": 0.05, "mu": 0.5}], bugs)


def check_adagrad_step(adagrad_step):
    r"""Check ``adagrad_step(x, dx, cache, learning_rate, eps) -> (x, cache)`` against :class:`gdlib.optim.Adagrad`.

    :math:`cache \leftarrow cache + dx^2`, :math:`x \leftarrow x - \eta\,dx / (\sqrt{cache} + \epsilon)`
    (``eps`` outside the square root, as ``torch.optim``). One setting uses a large ``eps``
    so that its placement matters.

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the component that is off.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import Adagrad

    bugs = [
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * dx / np.sqrt((c := s["cache"] + dx**2) + h["eps"]), c),
         "eps goes outside the square root: divide by sqrt(cache) + eps"),
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * dx / (np.sqrt(c := dx**2) + h["eps"]), c),
         "the cache accumulates the squared gradients of all steps so far; do not overwrite it"),
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * dx / (np.sqrt(s["cache"]) + h["eps"]), s["cache"] + dx**2),
         "add this step's squared gradient to the cache before using it in the update"),
    ]
    _check_step("adagrad_step", adagrad_step, Adagrad, ("cache",),
                [{"learning_rate": 0.1, "eps": 1e-7}, {"learning_rate": 0.5, "eps": 0.5}], bugs)


def check_rmsprop_step(rmsprop_step):
    r"""Check ``rmsprop_step(x, dx, cache, learning_rate, decay_rate, eps) -> (x, cache)`` against :class:`gdlib.optim.RMSProp`.

    :math:`cache \leftarrow \beta\,cache + (1 - \beta)\,dx^2` (:math:`\beta` = ``decay_rate``) (a moving average, replaced each
    step), :math:`x \leftarrow x - \eta\,dx / (\sqrt{cache} + \epsilon)`.

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the component that is off; recognises the course
        notes' typo (adding the average to the cache instead of replacing it).
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.

    Examples
    --------
    >>> import numpy as np
    >>> def rmsprop_step(x, dx, cache, learning_rate, decay_rate, eps):
    ...     cache += decay_rate * cache + (1 - decay_rate) * dx ** 2
    ...     return x - learning_rate * dx / (np.sqrt(cache) + eps), cache
    >>> check_rmsprop_step(rmsprop_step)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: rmsprop_step, step 2 of 6 (...): the returned cache is wrong in component ...; the cache is a moving average: replace it each step instead of adding to it (the course notes' '+=' is a typo)
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import RMSProp

    def avg(s, dx, h):
        return h["decay_rate"] * s["cache"] + (1 - h["decay_rate"]) * dx**2

    bugs = [
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * dx / (np.sqrt(c := s["cache"] + avg(s, dx, h)) + h["eps"]), c),
         "the cache is a moving average: replace it each step instead of adding to it "
         "(the course notes' '+=' is a typo)"),
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * dx / (np.sqrt(c := (1 - h["decay_rate"]) * s["cache"]
                                                                           + h["decay_rate"] * dx**2) + h["eps"]), c),
         "decay_rate weighs the old cache and 1 - decay_rate the new squared gradient, not the other way round"),
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * dx / np.sqrt((c := avg(s, dx, h)) + h["eps"]), c),
         "eps goes outside the square root: divide by sqrt(cache) + eps"),
    ]
    _check_step("rmsprop_step", rmsprop_step, RMSProp, ("cache",),
                [{"learning_rate": 0.01, "decay_rate": 0.99, "eps": 1e-7},
                 {"learning_rate": 0.1, "decay_rate": 0.5, "eps": 0.5}], bugs)


def check_adam_step(adam_step):
    r"""Check ``adam_step(x, dx, m, v, t, learning_rate, beta1, beta2, eps) -> (x, m, v)`` against :class:`gdlib.optim.Adam`.

    ``t`` is the update count, from 1 (the number of gradients seen, :math:`t = k + 1`). The moments
    :math:`m \leftarrow \beta_1 m + (1-\beta_1) dx`, :math:`c \leftarrow \beta_2 c + (1-\beta_2) dx^2`
    (:math:`c` is the buffer ``v``, see the notation page) are returned **uncorrected**; the
    update uses the bias-corrected :math:`\hat m = m / (1 - \beta_1^t)`,
    :math:`\hat c = c / (1 - \beta_2^t)`: :math:`x \leftarrow x - \eta \hat m / (\sqrt{\hat c} + \epsilon)`.

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the component that is off; recognises moments
        corrected in place (the course notes' ``m /= ...``), a missing bias correction and
        ``eps`` inside the root.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import Adam

    def moments(s, dx, h):
        return (h["beta1"] * s["m"] + (1 - h["beta1"]) * dx, h["beta2"] * s["v"] + (1 - h["beta2"]) * dx**2)

    def corrected(s, dx, h, t):
        m, v = moments(s, dx, h)
        return m / (1 - h["beta1"] ** t), v / (1 - h["beta2"] ** t)

    def update(x, m_hat, v_hat, h):
        return x - h["learning_rate"] * m_hat / (np.sqrt(v_hat) + h["eps"])

    bugs = [
        (lambda x, dx, s, h, t: (update(x, *(c := corrected(s, dx, h, t)), h), *c),
         "return the uncorrected moments m and v: the bias correction (the course notes' 'm /= ...') must go "
         "into separate m_hat, v_hat used only for this step's update"),
        (lambda x, dx, s, h, t: (update(x, *(mv := moments(s, dx, h)), h), *mv),
         "the moments are right but x is not: apply the bias correction with t before the update"),
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * (c := corrected(s, dx, h, t))[0]
                                 / np.sqrt(c[1] + h["eps"]), *moments(s, dx, h)),
         "eps goes outside the square root: divide by sqrt(v_hat) + eps"),
        (lambda x, dx, s, h, t: (update(x, *corrected(s, dx, h, t - 1), h), *moments(s, dx, h)),
         "t counts the steps from 1 (the check passes t = 1 on the first step): correct with 1 - beta1**t, "
         "which is never 0, not with t - 1"),
        (lambda x, dx, s, h, t: (update(x, *corrected(s, dx, h, t + 1), h), *moments(s, dx, h)),
         "use t as it is passed in (it already counts from 1 on the first step), not t + 1"),
        (lambda x, dx, s, h, t: (x - h["learning_rate"] * np.sqrt(1 - h["beta2"] ** t) / (1 - h["beta1"] ** t)
                                 * (mv := moments(s, dx, h))[0] / (np.sqrt(mv[1]) + h["eps"]), *mv),
         "you folded the bias corrections into the step size (the paper's efficient form, as Keras does): that "
         "adds eps to sqrt(v) instead of sqrt(v_hat), a different formula when eps is not negligible; compute "
         "m_hat and v_hat, or use eps * sqrt(1 - beta2**t) in the folded form"),
    ]
    _check_step("adam_step", adam_step, Adam, ("m", "v"),
                [{"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
                 {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 0.1}], bugs, uses_t=True)


# --------------------------------------------------------------------------- lab 3: backprop
def _two_layer_loss(X, y, W1, b1, W2, b2):
    hidden = np.maximum(0.0, X @ W1 + b1)
    return _losses.softmax_cross_entropy(hidden @ W2 + b2, y)[0]


def _two_layer_cases():
    cases = []
    for seed, (n, d, h, c) in enumerate([(5, 3, 4, 3), (8, 2, 6, 3), (1, 4, 3, 2)]):
        rng = np.random.default_rng(100 + seed)
        X = rng.normal(size=(n, d))
        y = rng.integers(0, c, size=n)
        W1 = rng.normal(size=(d, h))
        b1 = rng.normal(scale=0.5, size=h)
        pre = X @ W1 + b1
        # keep pre-activations away from ReLU's kink so finite differences are exact enough
        b1 = b1 + np.where(np.abs(pre).min(axis=0) < 1e-3, 0.01, 0.0)
        W2 = rng.normal(size=(h, c))
        b2 = rng.normal(scale=0.5, size=c)
        cases.append((f"N={n}, D={d}, H={h}, C={c}", X, y, W1, b1, W2, b2))
    return cases


def _shape_hint(key, got, params) -> str:
    """Why a gradient of the two-layer network may have the wrong shape."""
    shape = np.shape(got)
    want = params[key].shape
    others = [k for k, v in params.items() if k != key and v.shape == shape and v.shape != want]
    transposed = len(shape) == 2 and shape == want[::-1]
    if others and transposed:
        return (f"that is the shape of {others[0]} and of {key} transposed: check that you return the five values "
                f"in the order (loss, dW1, db1, dW2, db2), and the order and transposes of the product for d{key}")
    if others:
        return (f"that is the shape of {others[0]}: return the five values in the order "
                f"(loss, dW1, db1, dW2, db2)")
    if transposed:
        return f"it is transposed: d{key} has the shape of {key}; check the order and transposes in its product"
    if key.startswith("b"):
        return (f"d{key} has the shape of {key}: the bias is added to every row, so sum its upstream gradient "
                f"over the batch axis (axis 0)")
    return f"each gradient has the shape of its variable: d{key} like {key}"


def check_two_layer_backward(two_layer_backward):
    r"""Check ``two_layer_backward(X, y, W1, b1, W2, b2) -> (loss, dW1, db1, dW2, db2)``.

    The network of lab 3: :math:`H = \max(0, X W_1 + b_1)`, :math:`S = H W_2 + b_2`, and the
    mean softmax cross-entropy :math:`\mathcal L` of the scores :math:`S`
    (:func:`gdlib.losses.softmax_cross_entropy`).
    The loss is compared with gdlib's, each gradient with central finite differences of
    gdlib's loss (``rtol=1e-5``), in backprop order: ``dW2``, ``db2``, ``dW1``, ``db1``.

    Raises
    ------
    CheckFailed
        Naming the gradient and the entry that is off, with a hint on the usual slips
        (the batch average, the ReLU gate, summing the bias gradient over the batch).
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    name = "two_layer_backward"
    cases = _two_layer_cases()
    for i, (desc, X, y, W1, b1, W2, b2) in enumerate(cases, 1):
        context = f", case {i} ({desc})"
        params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        got = _call(name, two_layer_backward, X.copy(), y.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy())
        loss, dW1, db1, dW2, db2 = _unpack(name, got, ("loss", "dW1", "db1", "dW2", "db2"), context)
        _compare(name, "the loss", _two_layer_loss(X, y, W1, b1, W2, b2), loss, context,
                 hint="the loss is the mean softmax cross-entropy of the scores over the batch")
        grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        hints = {
            "W2": "dW2 is the hidden activations (transposed) times dscores",
            "b2": "the bias is added to every row, so db2 sums dscores over the batch axis",
            "W1": "dW2 and db2 are right, so look at the way back through W2 and the ReLU gate: "
                  "the gradient passes only where the hidden pre-activation is > 0",
            "b1": "db1 sums the gated hidden gradient over the batch axis",
        }
        for key in ("W2", "b2", "W1", "b1"):
            def f(p, key=key):
                local = dict(params)
                local[key] = p
                return _two_layer_loss(X, y, local["W1"], local["b1"], local["W2"], local["b2"])

            expected = _derivatives.numerical_gradient(f, params[key])

            def hint_fn(exp, g, n=X.shape[0]):
                if n > 1 and np.allclose(g, exp * n, rtol=1e-4):
                    return "it is N times too large: the loss is a mean, divide dscores by N"
                if n > 1 and np.allclose(g, exp / n, rtol=1e-4):
                    return ("it is N times too small: the dS that gd.softmax_cross_entropy returns already holds "
                            "the 1/N of the mean; do not divide by N again")
                return ""

            _compare(name, f"d{key}", expected, grads[key], context, hint=hints[key], rtol=1e-5, atol=1e-8,
                     hint_fn=hint_fn, shape_hint=_shape_hint(key, grads[key], params))
    _passed(name, len(cases))


# --------------------------------------------------------------------------- lab 5: schedules and digits
def check_schedule(make_schedule, reference, settings, steps=(0, 1, 2, 5, 10, 37, 99), name=None):
    r"""Check a schedule factory against its :mod:`gdlib.schedules` namesake.

    Parameters
    ----------
    make_schedule : callable
        The student's factory: ``make_schedule(**setting) -> schedule`` with
        ``schedule(step) -> float``.
    reference : str
        Name of the function in :mod:`gdlib.schedules` (e.g. ``"exponential_decay"``).
    settings : list of dict
        Keyword arguments for both factories; each is one check.
    steps : sequence of int
        Steps at which the two schedules are compared.
    name : str, optional
        Name used in messages; default ``reference``.

    Raises
    ------
    CheckFailed
        If the schedule does not return a number, or a value is off (``rtol=1e-6``).
    ExerciseNotImplemented
        If the factory or the schedule still raises ``NotImplementedError``.
    TypeError, ValueError
        For the instructor's arguments (an unknown ``reference``, a setting the reference
        refuses, steps that are not ints >= 0), before the student's factory is called.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from . import schedules as _schedules

    if not callable(make_schedule):
        raise TypeError(f"Invalid make_schedule: {make_schedule!r} (must be the function you wrote)")
    known = [n for n in _schedules.__all__ if n != "Schedule"]
    reference = _check_str(reference, "reference")
    if reference not in known:
        raise ValueError(f"Invalid reference: {reference!r} (must be one of {known})")
    ref_factory = getattr(_schedules, reference)
    name = _check_str(name, "name", optional=True) or reference
    if isinstance(settings, (dict, str)) or not hasattr(settings, "__iter__"):
        raise TypeError(f"Invalid settings: {settings!r} (must be a list of dicts of keyword arguments)")
    settings = list(settings)
    if not settings:
        raise ValueError("Invalid settings: [] (need at least one setting)")
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
        raise TypeError(f"Invalid steps: {steps!r} (must be a list of ints >= 0)")
    steps = [check_int(k, "steps", minimum=0) for k in steps]
    if not steps:
        raise ValueError("Invalid steps: [] (need at least one step)")
    # The references first: an instructor's bad setting is the instructor's error, not the student's.
    refs = []
    for i, setting in enumerate(settings):
        if not isinstance(setting, dict):
            raise TypeError(f"Invalid settings[{i}]: {setting!r} (must be a dict of keyword arguments)")
        try:
            ref = ref_factory(**setting)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"Invalid settings[{i}]: {setting!r} (gdlib.schedules.{reference} refuses it: {exc})") from None
        refs.append(ref)
    for setting, ref in zip(settings, refs):
        shown = ", ".join(f"{k}={v!r}" for k, v in setting.items())
        schedule = _call(name, make_schedule, **setting)
        if not callable(schedule):
            raise CheckFailed(
                f"{name}({shown}) returned {type(schedule).__name__}, expected a function of the step "
                f"(define an inner function and return it)"
            )
        expected = np.array([float(ref(k)) for k in steps])
        got = []
        for k in steps:
            value = _call(name, schedule, k)
            if value is None:
                raise CheckFailed(
                    f"{name}({shown}): your schedule returned None at step {k}; did its inner function forget "
                    f"a return statement?"
                )
            try:
                value = float(np.asarray(value, dtype=np.float64))
            except (TypeError, ValueError):
                raise CheckFailed(
                    f"{name}({shown}): your schedule returned {type(value).__name__} {value!r} at step {k}, "
                    f"expected one number (the learning rate of that step)"
                ) from None
            got.append(value)
        got = np.array(got)
        ok = np.abs(got - expected) <= 1e-12 + 1e-6 * np.abs(expected)
        if ok.all():
            continue
        j = int(np.argmin(ok))
        k = steps[j]
        right = [s_ for s_, good in zip(steps, ok) if good]
        total = setting.get("total_steps")

        def hint_fn(exp, g, j=j, k=k):
            if j == 0 and len(steps) > 1 and np.isclose(g, expected[1]) and steps[1] == k + 1:
                return ("your step 0 gives the rate of step 1: the schedule starts at learning_rate when step "
                        "is 0")
            if total is not None and k > total and ok[:j].all():
                return (f"it is right up to step {total} = total_steps; after it the rate must stay at the final "
                        f"rate: clip the step at total_steps")
            if j > 0 and ok[:j].all():
                which = (f"step {right[0]} is" if j == 1 else
                         f"steps {', '.join(str(s_) for s_ in right[:j - 1])} and {right[j - 1]} are")
                return f"{which} right, so look at how the rate changes with the step"
            return ""

        _compare(name, "the learning rate", expected[j], got[j], f"({shown}) at step {k}", hint_fn=hint_fn)
    _passed(name, len(settings))


def check_accuracy(accuracy, target, what="accuracy", hint="", name=None):
    """Check that an accuracy reaches ``target``.

    Parameters
    ----------
    accuracy : float or callable
        The measured accuracy in [0, 1], or a function of no arguments that trains and
        measures it (then a ``NotImplementedError`` inside becomes a readable
        :class:`ExerciseNotImplemented`).
    target : float
        The bar, in (0, 1].
    what : str
        What was measured, for the message.
    hint : str
        Where to look when the bar is missed.
    name : str, optional
        The student's function that ``accuracy`` runs, for messages; default ``what``.

    Raises
    ------
    CheckFailed
        If ``accuracy < target``, or it is not a number in [0, 1] (a string such as
        ``"0.97"`` or a bool fails).
    TypeError, ValueError
        For the instructor's arguments: ``target`` outside (0, 1], ``what``/``hint``/``name``
        not strings.

    Examples
    --------
    >>> check_accuracy(0.97, 0.95, what="spiral training accuracy")
    spiral training accuracy: 0.970 >= 0.950, check passed
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    target = _check_target(target)
    what = _check_str(what, "what")
    hint = _check_str(hint, "hint")
    name = _check_str(name, "name", optional=True)
    if callable(accuracy):
        accuracy = _call(name or what, accuracy)
    if accuracy is None:
        raise CheckFailed(f"{what} is None; did you forget a return statement?")
    if isinstance(accuracy, np.ndarray) and accuracy.size == 1 and accuracy.dtype.kind == "f":
        accuracy = accuracy.reshape(())[()]
    if isinstance(accuracy, (bool, np.bool_)) or not isinstance(accuracy, numbers.Real):
        # "0.97" would pass through float(); a str or a bool is not a measured accuracy
        raise CheckFailed(f"{what} should be a number in [0, 1], got {type(accuracy).__name__} {accuracy!r}")
    acc = float(accuracy)
    if not np.isfinite(acc) or not 0 <= acc <= 1:
        raise CheckFailed(f"{what} should be a fraction in [0, 1], got {accuracy!r}")
    if acc < target:
        raise CheckFailed(f"{what} is {acc:.3f}, below the target {target:.3f}" + (f"; {hint}" if hint else ""))
    print(f"{what}: {acc:.3f} >= {target:.3f}, check passed")


def check_digits_training(train_digits, make_schedule, epochs, target, seed=0):
    r"""Train with the student's schedule and training function, and check the test accuracy.

    Parameters
    ----------
    train_digits : callable
        ``train_digits(X_train, y_train, schedule, epochs) -> model`` where ``model`` works
        with :func:`gdlib.nn.accuracy`.
    make_schedule : callable
        ``make_schedule(total_steps) -> schedule`` for a run of ``total_steps`` optimizer steps.
    epochs : int
        The budget: passes over the training set.
    target : float
        Test accuracy to reach on :func:`gdlib.data.digits` (``seed``'s split).
    seed : int, default 0

    Raises
    ------
    CheckFailed
        If the schedule is not a finite, non-negative, non-constant function of the step, or the
        test accuracy misses ``target``.
    ExerciseNotImplemented
        If either function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .data import digits
    from .nn import accuracy

    epochs = check_int(epochs, "epochs")
    target = _check_target(target)
    X_train, X_test, y_train, y_test = digits(seed=seed)
    steps_per_epoch = int(np.ceil(X_train.shape[0] / 32))
    total = epochs * steps_per_epoch
    schedule = _call("make_schedule", make_schedule, total)
    if not callable(schedule):
        raise CheckFailed(f"make_schedule returned {type(schedule).__name__}, expected a function of the step")
    probe = [0, 1, total // 4, total // 2, total - 1]
    rates = np.array([np.asarray(_call("make_schedule", schedule, k), dtype=np.float64) for k in probe])
    if not np.all(np.isfinite(rates)) or np.any(rates < 0) or not np.any(rates > 0):
        raise CheckFailed(
            f"the schedule's rates at steps {probe} are {_fmt(rates)}; every rate must be finite and >= 0 "
            f"(0 only during a warmup), and training needs some rates > 0"
        )
    if np.allclose(rates, rates[0]):
        raise CheckFailed(
            f"the schedule is constant ({_fmt(rates[0])} at steps {probe}); this lab asks for a rate that "
            f"changes with the step (decay, warmup or both)"
        )
    model = _call("train_digits", train_digits, X_train, y_train, schedule, epochs)
    if model is None:
        raise CheckFailed("train_digits returned None; return the trained model")
    if not (callable(model) or hasattr(model, "forward_numpy")):
        raise CheckFailed(
            f"train_digits returned {type(model).__name__}, expected the trained network (the gd.MLP or "
            f"gd.nn.Sequential you built); gd.nn.train returns the loss history, not the model"
        )
    try:
        acc = accuracy(model, X_test, y_test)
    except Exception as exc:
        raise CheckFailed(
            f"the model returned by train_digits could not classify the test images ({type(exc).__name__}: "
            f"{exc}); build it for 64 inputs and 10 classes, e.g. gd.MLP([64, ..., 10])"
        ) from None
    rates_all = np.array([np.asarray(schedule(k), dtype=np.float64) for k in range(0, total, max(1, total // 8))])
    check_accuracy(acc, target, what=f"digits test accuracy after {epochs} epochs",
                   hint=f"your schedule gives {_fmt(rates_all)} at steps {list(range(0, total, max(1, total // 8)))} "
                        f"of {total} (it is called with the optimizer's step, not the epoch); try a larger initial "
                        f"rate that decays over the whole run, momentum, a short warmup, or a wider hidden layer")


# --------------------------------------------------------------------------- lab 6: sign and shape
def _ns_variant(G, steps, coefficients=None, normalise="fro", order="left", transpose_back=True):
    """Newton–Schulz as a known wrong variant computes it (to recognise the slip)."""
    from .optim.muon import NS_COEFFICIENTS

    a, b, c = NS_COEFFICIENTS if coefficients is None else coefficients
    X = np.array(G, dtype=np.float64)
    transposed = X.shape[0] > X.shape[1]
    if transposed:
        X = X.T
    if normalise == "fro":
        X = X / max(float(np.linalg.norm(X)), 1e-7)
    elif normalise == "spectral":
        X = X / float(np.linalg.norm(X, 2))
    for _ in range(steps):
        if order == "left":
            A = X @ X.T
            X = a * X + (b * A + c * (A @ A)) @ X
        elif order == "entries":  # the scalar polynomial applied to each entry, not to the singular values
            X = a * X + b * X**3 + c * X**5
        else:  # X^T X multiplied from the left: only defined for square X
            A = X.T @ X
            X = a * X + (b * A + c * (A @ A)) @ X
    return X.T if transposed and transpose_back else X


def _ns_cases():
    rng = np.random.default_rng(11)
    return [
        ("G = diag(10, 1, 0.1), 5 steps", np.diag([10.0, 1.0, 0.1]), 5),
        ("a random 4x4 matrix, 5 steps", rng.normal(size=(4, 4)), 5),
        ("a random 3x5 matrix (wide), 5 steps", rng.normal(size=(3, 5)), 5),
        ("a random 6x3 matrix (tall), 5 steps", rng.normal(size=(6, 3)), 5),
        ("a random 4x4 matrix, 1 step", rng.normal(size=(4, 4)), 1),
        ("a random 2x3 matrix times 100, 3 steps", 100 * rng.normal(size=(2, 3)), 3),
    ]


def check_newton_schulz(newton_schulz):
    r"""Check ``newton_schulz(G, steps) -> ndarray`` against :func:`gdlib.newton_schulz`.

    The quintic iteration with :math:`(a_1, a_3, a_5) = (3.4445, -4.7750, 2.0315)`: transpose
    ``G`` when it has more rows than columns, divide it by its Frobenius norm, then ``steps`` times
    :math:`Y \leftarrow a_1 Y + (a_3 Y Y^\top + a_5 (Y Y^\top)^2) Y`, and transpose back. Six
    cases (square, wide, tall, 1, 3 and 5 steps, a large norm), compared to ``rtol=1e-6``.

    Raises
    ------
    CheckFailed
        Naming the case and the entry that is off, with a hint on the usual slips: no (or
        another) normalisation, the cubic iteration's coefficients, :math:`Y^\top Y` on the wrong
        side, the polynomial applied entry by entry (``Y**3``), a tall matrix not transposed back,
        ``steps`` not honoured.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.

    Examples
    --------
    >>> import gdlib as gd
    >>> check_newton_schulz(gd.newton_schulz)
    newton_schulz: all 6 checks passed
    >>> def cubic(G, steps=5):
    ...     Y = G / np.linalg.norm(G)
    ...     for _ in range(steps):
    ...         Y = 1.5 * Y - 0.5 * Y @ Y.T @ Y
    ...     return Y
    >>> check_newton_schulz(cubic)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: newton_schulz, case 1 (G = diag(10, 1, 0.1), 5 steps): the result is wrong in entry (0, 0): ...; that is the cubic Newton–Schulz iteration (1.5, -0.5): use the quintic coefficients (3.4445, -4.7750, 2.0315)
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim.muon import newton_schulz as reference

    name = "newton_schulz"
    cases = _ns_cases()
    for i, (desc, G, steps) in enumerate(cases, 1):
        context = f", case {i} ({desc})"
        G_before = G.copy()
        with np.errstate(all="ignore"):   # an unnormalised iteration overflows: the sentence says why
            got = _call(name, newton_schulz, G, steps)
        if not np.array_equal(G, G_before):
            raise CheckFailed(f"{name}{context}: your function modified G; compute a new matrix "
                              f"(Y = G / ..., not G /= ...), so that the caller's G stays put")
        expected = reference(G, steps)
        rows, cols = G.shape

        def hint_fn(exp, g, G=G, steps=steps):
            square = G.shape[0] == G.shape[1]
            variants = [
                (dict(normalise=None), "divide G by its Frobenius norm (np.linalg.norm(G)) before iterating: "
                                       "the iteration pushes singular values in [0, 1] toward 1 but makes "
                                       "larger ones blow up"),
                (dict(normalise="spectral"), "divide by the Frobenius norm, np.linalg.norm(G), not by the "
                                             "largest singular value: the Frobenius norm is as safe (never "
                                             "smaller) and needs no SVD, and it is what gdlib and torch use"),
                (dict(coefficients=(1.5, -0.5, 0.0)), "that is the cubic Newton–Schulz iteration (1.5, -0.5): "
                                                      "use the quintic coefficients (3.4445, -4.7750, 2.0315)"),
                (dict(coefficients=(3.4445, 2.0315, -4.7750)), "-4.7750 multiplies Y Y^T and 2.0315 its square "
                                                               "(Y Y^T)^2: the two are swapped"),
                (dict(order="right"), "Y Y^T (rows x rows) multiplies Y from the left; Y^T Y would multiply it "
                                      "from the right: compute A = Y @ Y.T, then (b * A + c * A @ A) @ Y"),
                (dict(order="entries"), "that is the polynomial applied to each entry (Y**3, Y**5 act entry by "
                                        "entry); the iteration acts on the singular values through matrix "
                                        "products: A = Y @ Y.T, then Y = a * Y + (b * A + c * A @ A) @ Y"),
            ]
            for kwargs, hint in variants:
                if kwargs.get("order") == "right" and not square:
                    continue
                with np.errstate(all="ignore"):
                    wrong = _ns_variant(G, steps, **kwargs)
                if wrong.shape == g.shape and np.allclose(wrong, g, rtol=1e-6, atol=1e-10, equal_nan=True):
                    return hint
            for other in (steps - 1, steps + 1, 5):
                if other != steps and other >= 0 and np.allclose(_ns_variant(G, other), g, rtol=1e-6, atol=1e-10):
                    return (f"that is {other} iterations; run exactly steps = {steps} (the argument), "
                            f"after the normalisation")
            return ""

        shape_hint = ""
        if rows > cols:
            shape_hint = ("you transposed the tall matrix to iterate on the wide one: transpose the result back, "
                          "so it has the shape of G")
        elif rows < cols:
            shape_hint = "the result has the shape of G"
        _compare(name, "the result", expected, got, context, rtol=1e-6, atol=1e-10, hint_fn=hint_fn,
                 shape_hint=shape_hint)
    _passed(name, len(cases))


def check_lion_step(lion_step):
    r"""Check ``lion_step(x, dx, m, learning_rate, beta1, beta2, weight_decay) -> (x, m)`` against :class:`gdlib.optim.Lion`.

    The lines of Chen et al.'s Algorithm 2, in this order:
    :math:`u = \operatorname{sign}(\beta_1 m + (1 - \beta_1)\,dx)` (with the ``m`` from before the
    step), :math:`x \leftarrow x - \eta\,(u + \alpha x)` (:math:`\alpha` = ``weight_decay``,
    decoupled), :math:`m \leftarrow \beta_2 m + (1 - \beta_2)\,dx`. Six chained steps for two
    settings (one with weight decay).

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the component that is off; recognises ``m`` updated
        before the direction is computed, the two betas swapped or ``beta2`` in the direction,
        weight decay added to the gradient (coupled), not multiplied by the learning rate or
        applied to the already moved ``x``, and a step without the sign.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.

    Examples
    --------
    >>> def lion_step(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    ...     m = beta2 * m + (1 - beta2) * dx
    ...     x = x - learning_rate * (np.sign(beta1 * m + (1 - beta1) * dx) + weight_decay * x)
    ...     return x, m
    >>> check_lion_step(lion_step)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: lion_step, step ... the returned x is wrong in component ...; compute the direction from the m of the previous step, before you update m: ...
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import Lion

    def step(x, dx, m, h, b_dir, b_mom, decoupled=True, scaled=True, sign=True, m_first=False, decay_after=False):
        g = dx if decoupled else dx + h["weight_decay"] * x
        m_new = b_mom * m + (1 - b_mom) * g
        blend = b_dir * (m_new if m_first else m) + (1 - b_dir) * g
        u = np.sign(blend) if sign else blend
        if decay_after:  # the signed step first, then the decay of the x it moved to
            x_mid = x - h["learning_rate"] * u
            return x_mid - h["learning_rate"] * h["weight_decay"] * x_mid, m_new
        decay = h["weight_decay"] * x if decoupled else 0.0
        x_new = x - h["learning_rate"] * (u + decay) if scaled else x - h["learning_rate"] * u - decay
        return x_new, m_new

    bugs = [
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta1"], h["beta2"], m_first=True),
         "compute the direction from the m of the previous step, before you update m: Lion's order is "
         "direction, step, then momentum"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta2"], h["beta2"]),
         "the direction is sign(beta1 * m + (1 - beta1) * dx), with beta1 and the m of the previous step; "
         "beta2 only decays the stored m (sign(m) of the updated m is this mistake too)"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta1"], h["beta1"]),
         "the stored m decays with beta2, m = beta2 * m + (1 - beta2) * dx; beta1 only blends the direction, "
         "sign(beta1 * m + (1 - beta1) * dx)"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta2"], h["beta1"]),
         "the stored m decays with beta2, m = beta2 * m + (1 - beta2) * dx; beta1 only blends the direction, "
         "sign(beta1 * m + (1 - beta1) * dx)"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta1"], h["beta2"], decoupled=False),
         "the weight decay is decoupled: do not add weight_decay * x to the gradient; subtract "
         "learning_rate * weight_decay * x from x beside the signed step"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta1"], h["beta2"], scaled=False),
         "multiply the weight decay term by learning_rate too: x - learning_rate * (sign(...) + weight_decay * x)"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta1"], h["beta2"], decay_after=True),
         "decay the x from before this step: x - learning_rate * (sign(...) + weight_decay * x) uses the old x "
         "in both terms; you decayed the x the signed step had already moved"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, h["beta1"], h["beta2"], sign=False),
         "Lion steps by the sign of the blend (np.sign), so every coordinate moves by exactly learning_rate "
         "(plus the decay)"),
    ]
    _check_step("lion_step", lion_step, Lion, ("m",),
                [{"learning_rate": 0.1, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0},
                 {"learning_rate": 0.05, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.5}], bugs,
                seq=_lion_sequence())


def _lion_sequence():
    """Eight gradients whose signs flip against the momentum, so that the order of Lion's lines shows."""
    rng = np.random.default_rng(1)
    seq = [rng.choice([-1.0, 1.0], size=3) * np.exp(rng.uniform(-3, 1, size=3)) for _ in range(8)]
    seq[2] = np.zeros(3)
    return seq


def _radam_sequence():
    """Nine gradients: six as in every step check, three more so RAdam's rectified steps are reached."""
    rng = np.random.default_rng(8)
    return _gradient_sequence() + [rng.normal(size=3) for _ in range(3)]


def check_radam_step(radam_step):
    r"""Check ``radam_step(x, dx, m, v, t, learning_rate, beta1, beta2, eps) -> (x, m, v)`` against :class:`gdlib.optim.RAdam`.

    ``t`` counts the updates from 1. Adam's moments (returned uncorrected), :math:`\hat m = m/(1-\beta_1^t)`,
    :math:`\rho^{\mathrm{SMA}}_\infty = 2/(1-\beta_2) - 1`,
    :math:`\rho^{\mathrm{SMA}}_t = \rho^{\mathrm{SMA}}_\infty - 2t\beta_2^t/(1-\beta_2^t)`; while
    :math:`\rho^{\mathrm{SMA}}_t \le 5` the step is :math:`x \leftarrow x - \eta \hat m`, after it
    :math:`x \leftarrow x - \eta\, r_t \hat m \sqrt{1-\beta_2^t} / (\sqrt{c} + \epsilon)` with the
    rectification :math:`r_t` (torch's form, ``eps`` on the uncorrected root). Nine chained steps
    for two settings (the first five un-adapted in both; one with a large ``eps``).

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the component that is off; recognises Adam's step
        in place of RAdam's, the paper's threshold 4, a missing rectification :math:`r_t`, ``eps``
        on the corrected root, a missing :math:`\sqrt{1-\beta_2^t}`, the un-adapted step without
        bias correction or not taken at all, and moments corrected in place.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import RAdam

    def step(x, dx, s, h, t, threshold=5.0, rectify=True, eps_on_hat=False, m_hat_plain=True, adam=False,
             return_corrected=False, correct_v=True, move_early=True):
        b1, b2, lr, eps = h["beta1"], h["beta2"], h["learning_rate"], h["eps"]
        m = b1 * s["m"] + (1 - b1) * dx
        v = b2 * s["v"] + (1 - b2) * dx**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if adam:
            x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        elif rho > threshold:
            r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) if rectify else 1.0
            if eps_on_hat:
                x = x - lr * r * m_hat / (np.sqrt(v_hat) + eps)
            else:
                x = x - lr * r * m_hat * (np.sqrt(1 - b2**t) if correct_v else 1.0) / (np.sqrt(v) + eps)
        elif move_early:
            x = x - lr * (m_hat if m_hat_plain else m)
        return (x, m_hat, v_hat) if return_corrected else (x, m, v)

    bugs = [
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, return_corrected=True),
         "return the uncorrected moments m and v: the bias correction goes into a separate m_hat, used only "
         "for this step's update"),
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, rectify=False),
         "the adaptive step is multiplied by the rectification r_t (below 1 early on, tending to 1); "
         "without it the first adapted steps are too large"),
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, adam=True),
         "that is Adam's step: while rho_t <= 5 RAdam does not divide by the second moment at all "
         "(x - learning_rate * m_hat), and after that it multiplies the adaptive step by the rectification r_t"),
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, threshold=4.0),
         "you adapt as soon as rho_t > 4 (the paper's threshold); this lab, torch and gdlib adapt only when "
         "rho_t > 5 (at t = 5 with beta2 = 0.999, rho_t = 4.996: still the un-adapted step)"),
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, eps_on_hat=True),
         "eps goes on the uncorrected root, as torch writes it: m_hat * r_t * sqrt(1 - beta2**t) / "
         "(sqrt(v) + eps), not m_hat * r_t / (sqrt(v_hat) + eps) (they differ when eps is not negligible)"),
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, m_hat_plain=False),
         "the un-adapted step uses the bias-corrected m_hat = m / (1 - beta1**t), not m"),
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, move_early=False),
         "while rho_t <= 5 RAdam still steps, it only does not adapt: x - learning_rate * m_hat (momentum SGD)"),
        (lambda x, dx, s, h, t: step(x, dx, s, h, t, correct_v=False),
         "the adaptive step keeps Adam's bias correction of the second moment: multiply by sqrt(1 - beta2**t), "
         "m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)"),
    ]
    _check_step("radam_step", radam_step, RAdam, ("m", "v"),
                [{"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
                 {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 0.1}], bugs, uses_t=True,
                seq=_radam_sequence())


def _muon_sequence():
    """Six 4x2 gradients (a zero one and a large one among them), for a tall weight matrix."""
    rng = np.random.default_rng(9)
    seq = [rng.normal(size=(4, 2)) for _ in range(6)]
    seq[2] = np.zeros((4, 2))
    seq[3] = seq[3] * 50.0
    return seq


def check_muon_step(muon_step):
    r"""Check ``muon_step(x, dx, m, learning_rate, mu, nesterov) -> (x, m)`` against :class:`gdlib.optim.Muon`.

    For a weight matrix ``x`` of shape rows x cols and its gradient ``dx``:
    :math:`m \leftarrow \mu m + (1-\mu)\,dx`,
    the direction :math:`\tilde g = (1-\mu)\,dx + \mu m` with ``nesterov`` (else :math:`m`),
    :math:`x \leftarrow x - \eta \sqrt{\max(1, \text{rows}/\text{cols})}\ \mathrm{NS}(\tilde g)` with
    :math:`\mathrm{NS}` the 5-step Newton–Schulz iteration (no weight decay). Six chained steps on
    a 4 x 2 matrix, with and without ``nesterov``.

    Raises
    ------
    CheckFailed
        Naming the step, the buffer and the entry that is off; recognises a missing
        :math:`\sqrt{\max(1, \text{rows}/\text{cols})}`, ``nesterov`` ignored (or the look-ahead
        built from the old ``m``), the gradient orthogonalised instead of the momentum, the sum form
        of the buffer and the look-ahead :math:`dx + \mu m`.
    ExerciseNotImplemented
        If the function still raises ``NotImplementedError``.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import Muon
    from .optim.muon import newton_schulz as ns

    def step(W, dW, m, h, scale=True, nesterov=None, orthogonalise="momentum", average=True, sum_look_ahead=False):
        mu = h["mu"]
        m = mu * m + (1 - mu) * dW if average else mu * m + dW
        nest = h["nesterov"] if nesterov is None else nesterov
        u = (((dW if sum_look_ahead else (1 - mu) * dW) + mu * m if nest else m) if orthogonalise == "momentum"
             else dW)
        rows, cols = W.shape
        factor = np.sqrt(max(1.0, rows / cols)) if scale else 1.0
        return W - h["learning_rate"] * factor * ns(u), m

    bugs = [
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, scale=False),
         "scale the step by sqrt(max(1, rows / cols)) (here sqrt(2): x is 4 x 2), as torch's Muon does"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, nesterov=not h["nesterov"]),
         "with nesterov=True orthogonalise the look-ahead (1 - mu) * dx + mu * m, built from the m you have just "
         "updated; with nesterov=False orthogonalise m itself"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, orthogonalise="gradient"),
         "orthogonalise the momentum (or its Nesterov look-ahead), not this step's gradient dx"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, average=False),
         "keep m as an average, m = mu * m + (1 - mu) * dx (torch's lerp form), not the sum mu * m + dx"),
        (lambda x, dx, s, h, t: step(x, dx, s["m"], h, sum_look_ahead=True),
         "the look-ahead is an average too, (1 - mu) * dx + mu * m, not dx + mu * m (that is SGD's Nesterov "
         "with a summed buffer)"),
    ]
    _check_step("muon_step", muon_step, Muon, ("m",),
                [{"learning_rate": 0.02, "mu": 0.95, "nesterov": True},
                 {"learning_rate": 0.1, "mu": 0.5, "nesterov": False}], bugs,
                seq=_muon_sequence(), x_start=np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 1.5], [2.0, 0.25]]))


def _matrix_problem(seed=0):
    """Lab 6's least-squares problem: 64 examples, 8 features on scales 1 to 10^-1.5, a 8 x 4 weight matrix."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(64, 8)) * np.logspace(0, -1.5, 8)
    Y = X @ rng.normal(size=(8, 4))

    def loss(W):
        return 0.5 * float(np.sum((X @ W - Y) ** 2)) / len(X)

    def grad(W):
        return X.T @ (X @ W - Y) / len(X)

    return loss, grad


def check_sign_schedule(sign_schedule, target=1e-4, n_steps=200):
    r"""Check that a schedule lets Lion and Muon converge on lab 6's matrix problem.

    ``sign_schedule(total_steps) -> schedule`` (``schedule(k) -> float``, the learning rate of
    step ``k``) is given to :class:`gdlib.optim.Lion` (``beta1=0.9, beta2=0.99``) and
    :class:`gdlib.optim.Muon` (its defaults), which the lab's step checks have shown equal to the
    student's steps, for ``n_steps`` steps from :math:`W = 0` on the least-squares problem
    :math:`\mathcal L(W) = \frac{1}{2N}\lVert XW - Y\rVert_F^2` of the lab (64 examples, 8 features on
    scales from 1 to :math:`10^{-1.5}`, :math:`W` of shape 8 x 4, ``numpy`` seed 0). Both final
    losses must be below ``target``.

    Parameters
    ----------
    sign_schedule : callable
        The student's factory: ``sign_schedule(total_steps)`` returns the schedule.
    target : float, default 1e-4
        The loss both optimizers must end below, > 0.
    n_steps : int, default 200
        The budget, passed to the factory as ``total_steps``.

    Raises
    ------
    CheckFailed
        If the factory does not return a function, a rate is not a finite number >= 0, or a
        final loss is not below ``target``. The message gives both losses and what to change: a
        rate that decays toward 0 (a constant one, or one that ends above 5% of its largest),
        else a larger or a smaller start, or another shape, whichever the same schedule run 3
        times larger and 3 times smaller shows (the losses those runs end at are in the message).
    ExerciseNotImplemented
        If the factory still raises ``NotImplementedError``.
    TypeError, ValueError
        For the instructor's arguments (``target`` not a number > 0, ``n_steps`` not an int >= 1).

    Notes
    -----
    Near the minimum Muon's fixed-size hops amplify rounding, so Muon's final loss depends on the
    machine's floating-point path (the BLAS kernel): the book's cosine decay from 0.1 ends at
    7.9e-6 to 9.8e-6, a cosine from 3.0 at 4.5e-5 or 1.1e-4 (measured with ``OPENBLAS_CORETYPE``
    Haswell, SkylakeX, Prescott and unset). A schedule that ends within a factor of about 3 of
    ``target`` may pass on one machine and fail on another; the book's solution ends 10 times below.

    Examples
    --------
    >>> import gdlib as gd
    >>> check_sign_schedule(lambda total_steps: gd.schedules.cosine_decay(0.1, total_steps))  # doctest: +ELLIPSIS
    sign_schedule: Lion ends at 1.6e-07, Muon at ...e-06 after 200 steps, both below 1e-04: check passed
    >>> check_sign_schedule(lambda total_steps: gd.schedules.constant(0.03))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gdlib.checks.CheckFailed: sign_schedule: your schedule is constant (0.03 at every step); ...
    """
    __tracebackhide__ = True  # noqa: F841 (IPython shows the student's cell and the sentence)
    from .optim import Lion, Muon

    target = check_real(target, "target", positive=True)
    n_steps = check_int(n_steps, "n_steps")
    name = "sign_schedule"
    schedule = _call(name, sign_schedule, n_steps)
    if schedule is None:
        raise CheckFailed(f"{name} returned None; return the schedule, a function of the step")
    if not callable(schedule):
        raise CheckFailed(f"{name} returned {type(schedule).__name__}, expected a function of the step "
                          f"(define an inner function and return it, or return a gd.schedules one)")
    rates = []
    for k in range(n_steps):
        value = _call(name, schedule, k)
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(())[()]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value) \
                or value < 0:
            raise CheckFailed(f"{name}: your schedule returned {value!r} at step {k}; every rate must be a finite "
                              f"number >= 0")
        rates.append(float(value))
    if not any(r > 0 for r in rates):
        raise CheckFailed(f"{name}: your schedule is 0 at every step, so nothing moves; start from a rate > 0")
    if np.allclose(rates, rates[0]):
        raise CheckFailed(
            f"{name}: your schedule is constant ({_fmt(rates[0])} at every step); Lion and Muon take steps of "
            f"a fixed size, so at a constant rate they hop around the minimum at a distance set by the rate: "
            f"make it decay toward 0 by step total_steps")
    loss, grad = _matrix_problem()

    def run(rates):
        finals = {}
        for label, opt in (("Lion", Lion(learning_rate=lambda k: rates[k], beta1=0.9, beta2=0.99)),
                           ("Muon", Muon(learning_rate=lambda k: rates[k]))):
            W = np.zeros((8, 4))
            with np.errstate(all="ignore"):
                for _ in range(n_steps):
                    opt.step(W, grad(W))
                finals[label] = loss(W)
        return finals

    def worst(finals):
        return max(v if np.isfinite(v) else np.inf for v in finals.values())

    def ends(finals):
        return f"Lion at {finals['Lion']:.1e}, Muon at {finals['Muon']:.1e}"

    finals = run(rates)
    shown = f"Lion ends at {finals['Lion']:.1e}, Muon at {finals['Muon']:.1e} after {n_steps} steps"
    if not worst(finals) < target:
        last = rates[-1] / max(rates)
        if last > 0.05:
            why = f"your last rate is {last:.2g} times your largest: let it fall closer to 0 by the end"
        else:
            # which way to go is measured, not guessed: the same schedule 3 times larger and 3 times smaller
            larger, smaller = run([3.0 * r for r in rates]), run([r / 3.0 for r in rates])
            if worst(larger) < min(worst(finals), worst(smaller)):
                why = (f"start from a larger rate: the steps have a fixed size, so with small rates the runs never "
                       f"reach the minimum (every rate 3 times larger: {ends(larger)})")
            elif worst(smaller) < worst(finals):
                why = (f"start from a smaller rate: while the rate is large the fixed-size steps hop far around the "
                       f"minimum, and too few steps are left at small rates to settle (every rate divided by 3: "
                       f"{ends(smaller)})")
            else:
                why = (f"scaling your rates does not help (3 times larger: {ends(larger)}; 3 times smaller: "
                       f"{ends(smaller)}): change the shape, keep the rate up for most of the run and let it reach "
                       f"about 0 only at the end, as a cosine or linear decay over all total_steps steps does")
        raise CheckFailed(f"{name}: {shown}, not both below the target {target:.0e}; {why}")
    print(f"{name}: {shown}, both below {target:.0e}: check passed")
