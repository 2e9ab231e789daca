r"""The machinery every optimizer shares: validation, per-array state, the step loop.

An optimizer here is the course's update rule, applied **in place** to float numpy arrays, as the
notes' ``x += ...`` lines do. Subclasses implement one method, ``_update(x, dx, state, lr)``,
which updates one parameter array ``x`` from its gradient ``dx`` using that array's ``state``
dict (its buffers, named as in the course: ``v``, ``cache``, ``m``, ``v_max``) and the learning
rate ``lr`` of this step. Everything else (checking the inputs before anything is modified,
keeping one state dict per array, the step counter, schedules) lives here, once.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Callable, Sequence

import numpy as np

from .._validation import check_distinct

__all__ = ["Optimizer"]


def _check_hyper(name: str, value, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = True) -> float:
    """Validate a real hyperparameter in an interval; ``ValueError`` names it and its value."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"Invalid {name}: {value!r} (must be a real number)")
    value = float(value)
    bad = not math.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
        if low is not None and high is None:
            rule = f"must be {'>' if low_open else '>='} {low:g}"
        else:
            rule = f"must be in {lo}, {hi}"
        raise ValueError(f"Invalid {name}: {value} ({rule})")
    return value


def _divide_by_root(x, dx, cache, eps, lr, buf) -> None:
    """``x += -lr * dx / (np.sqrt(cache) + eps)`` in place, through the scratch array ``buf``.

    The last line Adagrad and RMSProp share (epsilon outside the root, as in ``torch.optim``).
    """
    np.sqrt(cache, out=buf)
    buf += eps
    np.divide(dx, buf, out=buf)
    buf *= lr
    x -= buf


def _dtype_note(cls) -> str:
    """What ``cls`` does with float32 and float16 parameters, from its buffers and its default eps."""
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    buffers = ", ".join(f"``{b}``" for b in cls.buffers) or "none"
    text = (f"**dtypes.** float32 and float16 parameters keep their dtype: the update is in place and the "
            f"state buffers ({buffers}) are created in the parameter's dtype; float64 grads are cast to it. "
            f"The arithmetic is the parameter's: over 20 steps of a test problem (tests/test_hostile.py) "
            f"float32 parameters stay within about 1e-6 of the float64 ones and float16 within about 1e-2 "
            f"(3 significant digits, rounding at every step); float16 overflows past 65504.")
    eps = defaults.get("eps")
    if isinstance(eps, float):
        if np.float16(eps) == 0:
            text += (f" The default ``eps={eps:g}`` rounds to 0 in float16 (smallest subnormal about 6e-8), "
                     f"so a float16 :meth:`step` with it is refused with a ``ValueError``: pass ``eps=1e-4``, "
                     f"say, or use float32.")
        else:
            text += f" The default ``eps={eps:g}`` is representable in float16 (its smallest subnormal is about 6e-8)."
    return text


def _with_dtype_note(cls, doc: str) -> str:
    """``doc`` with :func:`_dtype_note` as the last paragraph of its Notes (before References/Examples)."""
    import textwrap

    note = textwrap.fill(_dtype_note(cls), width=96, initial_indent="    ", subsequent_indent="    ")
    for marker in ("\n    References\n    ----------", "\n    Examples\n    --------"):
        if marker in doc:
            head, tail = doc.split(marker, 1)
            if "\n    Notes\n    -----" not in head:
                note = "    Notes\n    -----\n" + note
            return head.rstrip() + "\n\n" + note + "\n" + marker + tail
    return doc.rstrip() + "\n\n" + note + "\n"



def pair_params_grads(params, grads) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(params, grads)`` as two lists of one entry per array: one array and its gradient, or two
    lists/tuples of the same length (refused with TypeError/ValueError naming the argument)."""
    if isinstance(params, np.ndarray):
        return [params], [grads]
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"Invalid params: {type(params).__name__} (must be a float numpy array "
                        "or a list/tuple of them; Python numbers cannot be updated in place)")
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"Invalid grads: got {type(grads).__name__} for a list of "
                        f"{len(params)} params (must be a list/tuple of the same length)")
    if len(params) != len(grads):
        raise ValueError(f"Invalid grads: {len(grads)} gradient arrays for {len(params)} params (must be one per param)")
    return list(params), list(grads)

class Optimizer:
    """Base class: ``step(params, grads)`` updates float arrays in place.

    Parameters
    ----------
    learning_rate : float or callable
        A number > 0, or a schedule ``step -> float`` (see :mod:`gdlib.schedules`); step ``k``
        (0-based) uses ``learning_rate(k)``.

    Attributes
    ----------
    state : list of dict
        One dict per parameter array, in the order given to :meth:`step`, holding the array's
        buffers by the course's names and ``"t"``, the number of updates applied to it.
    t : int
        Number of steps taken (0 before the first).
    last_learning_rate : float or None
        The learning rate used by the most recent step.

    Notes
    -----
    **dtypes.** Parameters may be any floating dtype (float64, float32, float16) and keep it:
    the update is applied in place, every state buffer (``v``, ``cache``, ``m``, ...) is created
    in the parameter's dtype, and grads of another real dtype are cast to it (as torch keeps a
    parameter's dtype and its state in it). The arithmetic is that dtype's: over 20 steps of a test
    problem, float32 parameters stay within about 1e-6 of the float64 ones and float16 within
    about 1e-2 (3 significant digits, rounded at every step), and float16 overflows past 65504 (the square of a
    gradient above about 256, on its way into Adagrad's ``cache`` or Adam's ``v``, is ``inf``). An ``eps`` that rounds to 0 in the parameter's dtype is **refused** with a
    ``ValueError`` at :meth:`step` rather than warned about: the Adam family's default
    ``eps=1e-8`` is below float16's smallest subnormal (about 6e-8), so the first step would
    divide 0 by 0 wherever a gradient is 0. Pass ``eps=1e-4`` (say) for float16 parameters.

    **Refused inputs.** :meth:`step` refuses, before anything is modified: params that are not
    writable floating arrays; grads of dtype object (``None`` inside), complex, bool or str, or
    of another shape; the same array (or two views of one buffer) given twice. nan or inf in a
    gradient is *not* refused: it propagates to the parameters and buffers, as in numpy and
    ``torch.optim`` (a nan in gives a nan out).
    """

    #: names of the buffers each subclass keeps per parameter array
    buffers: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        """Give every optimizer's docstring its own paragraph on float32/float16 (see :func:`_dtype_note`)."""
        super().__init_subclass__(**kwargs)
        doc = cls.__dict__.get("__doc__")
        if doc and "float16" not in doc:
            cls.__doc__ = _with_dtype_note(cls, doc)

    def __init__(self, learning_rate: float | Callable[[int], float]):
        if callable(learning_rate):
            self.learning_rate = learning_rate
            self.learning_rate_at(0)          # a schedule that fails at step 0 fails here, early
        else:
            self.learning_rate = _check_hyper("learning_rate", learning_rate, low=0.0, low_open=True)
        self.state: list[dict] = []
        self.t = 0
        self.last_learning_rate: float | None = None
        self._shapes: list[tuple] | None = None
        self._scratch: list[np.ndarray] = []

    # ------------------------------------------------------------------ public
    def learning_rate_at(self, k: int) -> float:
        """The validated learning rate of step ``k`` (0-based).

        Raises
        ------
        ValueError
            If a schedule returns a non-finite or negative value. (A schedule may return 0,
            as a warm-up from 0 does at step 0: that step then leaves the parameters where they
            are but still updates the optimizer's buffers. A *constant* rate must be > 0.)
        """
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, Integral) or k < 0:
            raise (ValueError if isinstance(k, Integral) and not isinstance(k, (bool, np.bool_)) else TypeError)(
                f"Invalid k: {k!r} (must be an int >= 0, a step index)")
        if not callable(self.learning_rate):
            return self.learning_rate
        value = self.learning_rate(k)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
            # float("0.1") would accept a string
            raise TypeError(f"Invalid learning_rate: schedule returned {value!r} at step {k} "
                            "(must be a real number)")
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"Invalid learning_rate: schedule returned {value} at step {k} "
                             "(must be finite and >= 0)")
        return value

    def step(self, params, grads) -> None:
        """Apply one update to ``params`` in place.

        Parameters
        ----------
        params : ndarray or list/tuple of ndarray
            Float arrays, updated in place (``x += ...``).
        grads : array_like or list/tuple of array_like
            The gradients, same structure and shapes as ``params``.

        Raises
        ------
        TypeError
            For params that are not float numpy arrays (an integer array would silently truncate
            the update), or grads that are not real numbers (object, complex, bool, str).
        ValueError
            For a count or shape that differs between params and grads, or from the first step;
            a read-only array; the same array given twice; an ``eps`` that rounds to 0 in the
            params' dtype; or a schedule value that is not finite and >= 0. Nothing is modified
            when a call is refused.

        Examples
        --------
        >>> from gdlib.optim import SGD, Adam
        >>> x = np.array([1.0, 2.0], dtype=np.float32)
        >>> SGD(learning_rate=0.5).step(x, np.array([1.0, 1.0]))
        >>> x, x.dtype
        (array([0.5, 1.5], dtype=float32), dtype('float32'))
        >>> SGD(learning_rate=0.5).step([x, x], [x, x])
        Traceback (most recent call last):
        ...
        ValueError: Invalid params: params[0] and params[1] share memory (must be distinct arrays: the same array given twice would be updated twice)
        >>> Adam().step(x.astype(np.float16), np.ones(2))
        Traceback (most recent call last):
        ...
        ValueError: Invalid eps: 1e-08 rounds to 0 in params's dtype float16 (smallest positive float16 is 5.96e-08; its buffers would divide by 0: use eps >= 5.96e-08, e.g. 1e-4, or float32 params)
        """
        xs, dxs = self._check(params, grads)
        lr = self.learning_rate_at(self.t)
        if self._shapes is None:
            self._shapes = [x.shape for x in xs]
            self.state = [self._init_state(x) for x in xs]
            self._scratch = [np.empty_like(x) for x in xs]
        for x, dx, state, buf in zip(xs, dxs, self.state, self._scratch):
            state["t"] += 1
            self._update(x, dx, state, lr, buf)
        self.t += 1
        self.last_learning_rate = lr

    def reset(self) -> None:
        """Forget all state: the next :meth:`step` starts afresh at step 0."""
        self.state, self.t, self.last_learning_rate = [], 0, None
        self._shapes, self._scratch = None, []

    @property
    def hyperparameters(self) -> dict:
        """The constructor's arguments, by name (for plots, tables and the explorer)."""
        return {name: getattr(self, name) for name in self._hyper_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------- for subclasses
    @classmethod
    def _hyper_names(cls) -> list[str]:
        import inspect
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def _init_state(self, x: np.ndarray) -> dict:
        state: dict = {name: np.zeros_like(x) for name in self.buffers}
        state["t"] = 0
        return state

    def _update(self, x, dx, state, lr, buf) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------- checking
    def _check(self, params, grads) -> tuple[list[np.ndarray], list[np.ndarray]]:
        single = isinstance(params, np.ndarray)
        xs, dxs = pair_params_grads(params, grads)
        if self._shapes is not None and len(xs) != len(self._shapes):
            raise ValueError(f"Invalid params: {len(xs)} arrays, but this optimizer's state holds "
                             f"{len(self._shapes)} (must keep the count of the first step; call reset() to start over)")
        checked = []
        for i, (x, dx) in enumerate(zip(xs, dxs)):
            where = "" if single else f"[{i}]"
            if not isinstance(x, np.ndarray):
                raise TypeError(f"Invalid params{where}: {type(x).__name__} (must be a numpy array)")
            if x.dtype.kind != "f":
                raise TypeError(f"Invalid params{where}: dtype {x.dtype} (must be floating; an "
                                "integer array would truncate the update in place: use .astype(float))")
            if not x.flags.writeable:
                raise ValueError(f"Invalid params{where}: array is read-only (must be writable: it is updated in place)")
            if not isinstance(dx, np.ndarray) or dx.dtype != x.dtype:
                try:
                    raw = dx if isinstance(dx, np.ndarray) else np.asarray(dx)
                except (TypeError, ValueError):   # ragged nested lists
                    raise TypeError(f"Invalid grads{where}: {type(dx).__name__} is not a rectangular "
                                    "array of real numbers") from None
                if raw.dtype.kind not in "fiu":
                    # object (None inside would become nan), complex (the imaginary part would be
                    # dropped), str, bool: none is a gradient
                    raise TypeError(f"Invalid grads{where}: dtype {raw.dtype} (must be real numbers, "
                                    f"like params{where}'s {x.dtype})")
                dx = raw.astype(x.dtype)
            if dx.shape != x.shape:
                raise ValueError(f"Invalid grads{where}: shape {dx.shape} does not match "
                                 f"params{where} shape {x.shape}")
            if self._shapes is not None and x.shape != self._shapes[i]:
                raise ValueError(f"Invalid params{where}: shape {x.shape}, but its state was created for shape "
                                 f"{self._shapes[i]} (must keep the shape of the first step; call reset() to start over)")
            checked.append(dx)
        # The same array (or two views of one buffer) given twice would be updated twice, with
        # one state dict each: refuse, as torch.optim refuses a parameter in two groups.
        check_distinct(xs, "params", ": the same array given twice would be updated twice")
        # A gradient that is (a view of) a parameter would change while that parameter is updated.
        for i, dx in enumerate(checked):
            if any(np.may_share_memory(dx, x) for x in xs):
                checked[i] = dx.copy()
        self._check_dtypes(xs)
        return xs, checked

    def _check_dtypes(self, xs) -> None:
        """Refuse an ``eps`` that rounds to 0 in a parameter's dtype (1e-8 in float16, say)."""
        eps = getattr(self, "eps", None)
        if not eps:
            return
        for i, x in enumerate(xs):
            if x.dtype.type(eps) == 0:
                where = "" if len(xs) == 1 else f"[{i}]"
                tiny = float(np.finfo(x.dtype).smallest_subnormal)
                raise ValueError(f"Invalid eps: {eps} rounds to 0 in params{where}'s dtype {x.dtype} "
                                 f"(smallest positive {x.dtype} is {tiny:.3g}; its buffers would divide "
                                 f"by 0: use eps >= {tiny:.3g}, e.g. 1e-4, or float32 params)")
