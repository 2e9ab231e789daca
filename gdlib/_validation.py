"""Input checks shared by gdlib's modules, so that one rule has one wording.

Private: the public functions call these and document the errors in their own
``Raises`` sections. Messages follow the course's convention (as ``torch.optim``):
they name the argument and show the value, ``Invalid dim: 0 (must be >= 1)``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def check_int(value, name, minimum=1):
    """``value`` as an ``int`` after checking it is an integer (not a bool) ``>= minimum``.

    Examples
    --------
    >>> check_int(3, "n")
    3
    >>> check_int(2.0, "n")
    Traceback (most recent call last):
    ...
    TypeError: Invalid n: 2.0 (must be an int >= 1)
    >>> check_int(1, "dim", minimum=2)
    Traceback (most recent call last):
    ...
    ValueError: Invalid dim: 1 (must be >= 2)
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {name}: {value!r} (must be an int >= {minimum})")
    if value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (must be >= {minimum})")
    return int(value)


def check_real(value, name, *, positive=False, nonnegative=False, minimum=None):
    """``value`` as a finite ``float``, optionally ``> 0``, ``>= 0`` or ``>= minimum``.

    Examples
    --------
    >>> check_real(2, "k")
    2.0
    >>> check_real(-1.0, "learning_rate", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: Invalid learning_rate: -1.0 (must be > 0)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r} (must be a real number)")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"Invalid {name}: {value!r} (must be finite)")
    if positive and value <= 0:
        raise ValueError(f"Invalid {name}: {value!r} (must be > 0)")
    if nonnegative and value < 0:
        raise ValueError(f"Invalid {name}: {value!r} (must be >= 0)")
    if minimum is not None and value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (must be >= {minimum})")
    return value


def rng_from_seed(seed):
    """A ``numpy.random.Generator``: ``seed`` itself if it is one, else ``default_rng(seed)`` for an int >= 0.

    Examples
    --------
    >>> float(rng_from_seed(0).random()) == float(rng_from_seed(0).random())
    True
    >>> rng_from_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: Invalid seed: -1 (must be >= 0)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"Invalid seed: {seed!r} (must be an int or a numpy.random.Generator)")
    if seed < 0:
        raise ValueError(f"Invalid seed: {seed!r} (must be >= 0)")
    return np.random.default_rng(int(seed))


def check_bool(value, name):
    """``value`` as a ``bool``, accepting only ``True``/``False`` (and numpy's ``bool_``).

    A string such as ``"no"`` is truthy in Python, so ``if flag:`` would take it as
    ``True``; 0/1 and ``None`` are refused too, so a flag never means what it did not say.

    Examples
    --------
    >>> check_bool(np.bool_(True), "log")
    True
    >>> check_bool("no", "staircase")
    Traceback (most recent call last):
    ...
    TypeError: Invalid staircase: 'no' (must be True or False)
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"Invalid {name}: {value!r} (must be True or False)")


def check_real_array(value, name, *, allow_int=True):
    """``value`` as a float64 ndarray after refusing what is not real numbers.

    Refused with a ``TypeError`` naming ``name``: object arrays (``None`` inside, ragged
    lists), strings, complex numbers (numpy would drop the imaginary part) and booleans.
    Integers are converted to float unless ``allow_int=False``. nan and inf pass: checking
    them is the caller's decision (a nan in gives a nan out, as in numpy).

    Examples
    --------
    >>> check_real_array([1, 2], "x").dtype
    dtype('float64')
    >>> check_real_array([1.0, None], "x")
    Traceback (most recent call last):
    ...
    TypeError: Invalid x: [1.0, None] (must be real numbers; got dtype object)
    >>> check_real_array(np.array([1j]), "grads")
    Traceback (most recent call last):
    ...
    TypeError: Invalid grads: array([0.+1.j]) (must be real numbers; got dtype complex128)
    """
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):   # ragged nested sequences
            raise TypeError(f"Invalid {name}: {_short(value)} (must be real numbers in a "
                            "rectangular array)") from None
    kinds = "fiu" if allow_int else "f"
    if arr.dtype.kind not in kinds:
        raise TypeError(f"Invalid {name}: {_short(value)} (must be real numbers; got dtype {arr.dtype})")
    return arr.astype(np.float64, copy=False)


def check_distinct(arrays, name, why=""):
    """Refuse two arrays of ``arrays`` that share memory, naming both by their index in ``name``.

    Every in-place routine that takes a list (an optimizer's params, clipping's grads, a swap of
    averaged params) needs this: an array given twice would be updated, counted or swapped twice.
    ``why`` ends the message (e.g. ``": the same array given twice would be updated twice"``).
    """
    for i in range(len(arrays)):
        for j in range(i):
            if np.may_share_memory(arrays[i], arrays[j]):
                raise ValueError(f"Invalid {name}: {name}[{j}] and {name}[{i}] share memory (must be distinct "
                                 f"arrays{why})")


def _short(value, limit=80):
    """``repr(value)`` cut to ``limit`` characters, for error messages about big arrays."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
