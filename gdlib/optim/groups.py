r"""Parameter groups: each parameter array stepped by the optimizer its label names."""
from __future__ import annotations

import re

import numpy as np

from .._validation import check_distinct
from ._base import Optimizer, pair_params_grads

__all__ = ["Partition"]


class Partition:
    r"""Step each parameter array with its own optimizer (Muon on the weight matrices, AdamW on the rest).

    .. code-block:: python

        for name, opt in optimizers.items():     # every group checked first, then stepped
            opt.step([x for x, l in zip(params, labels) if l == name],
                     [g for g, l in zip(grads, labels) if l == name])

    Parameters
    ----------
    optimizers : dict of str to Optimizer
        Label -> a gdlib optimizer (``gd.Muon(...)``, ``gd.AdamW(...)``, ...), each a distinct,
        fresh object (no step taken yet). At least one. A ``gd.Averaged(opt)`` group averages that
        group's arrays only (checked with the rest before any group moves); to average every array,
        wrap the whole Partition: ``gd.Averaged(gd.Partition(...))``.
    label : list/tuple of str, or callable
        Which optimizer steps which array: one label per parameter array, in the order given to
        :meth:`step` (``["muon", "adamw", ...]``), or a function called once on each array at the
        first step, ``label(x) -> str`` (``lambda x: "muon" if x.ndim == 2 else "adamw"``).
        Every label must be a key of ``optimizers``; an optimizer that no array names is never stepped.

    Attributes
    ----------
    optimizers : dict of str to Optimizer
        The optimizers, as given: each keeps its own ``state``, ``t`` and hyperparameters.
    labels : list of str or None
        The label of each parameter array, fixed by the first :meth:`step` (``None`` before it).
    state : list of dict
        One dict per parameter array, in the order given to :meth:`step`: the very dict its
        optimizer keeps for it (``"m"``, ``"v"``, ... and ``"t"``), so ``state[i]`` reads as an
        optimizer's ``state[i]`` does. Empty before the first step.
    t : int
        Number of steps taken (0 before the first).
    last_learning_rate : dict of str to float, or None
        The learning rate each stepped optimizer used in the most recent step.

    Raises
    ------
    TypeError
        If ``optimizers`` is not a dict of str to gdlib optimizers (an ``Averaged`` of a Partition is
        not one), or ``label`` is neither a
        list/tuple of str nor a callable (or the callable returns something else than a str).
    ValueError
        If ``optimizers`` is empty, holds one object under two labels, an optimizer that has
        already stepped or one that needs the objective (Newton, L-BFGS: only :func:`gdlib.minimize` runs them); if a label is not a key of ``optimizers``; at :meth:`step`, for the
        reasons any optimizer refuses a step (the message names the array by its index in
        ``params`` and its group), for a label list of another length than ``params``, or an
        array given twice, even in two groups.

    Notes
    -----
    With labels :math:`\ell_i` and optimizers :math:`\mathcal O_\ell`, one step updates array
    :math:`i` by :math:`\mathcal O_{\ell_i}`'s rule, with the buffers that optimizer keeps for it:

    .. math::

        x^{(i)}_t = \mathcal O_{\ell_i}\big(x^{(i)}_{t-1},\ g^{(i)}_t;\ \text{state}^{(i)}\big).

    Nothing mixes the groups: the result is the same as stepping each optimizer on its own
    arrays (tests/test_groups.py checks it to the last bit). A refused call modifies nothing:
    :meth:`step` checks every group (shapes, dtypes, Muon's 2-D rule, each schedule's rate of
    this step, a ``mu`` schedule's values) before any optimizer moves, so an AdamW group is not updated when the Muon group
    is then refused. float32 and float16 arrays behave as their own optimizer says.

    **optax and torch.** This is ``optax.multi_transform(transforms, param_labels)`` (a label
    per leaf, or a function giving the labels) and ``torch.optim``'s parameter groups with one
    optimizer each (torch's ``Muon`` recipe builds two optimizers and steps both). Unlike torch's
    groups, each group here may run a different update rule, and unlike optax's callable, gdlib's is
    called on each array, not on the whole list (a rule that depends on the position is the list
    form).

    References
    ----------
    optax, ``optax.multi_transform`` (DeepMind, 2020-), optax.readthedocs.io.

    K. Jordan et al., "Muon: an optimizer for hidden layers in neural networks", 2024,
    kellerjordan.github.io/posts/muon (Muon for hidden matrices, AdamW for the rest).

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> W, b = np.zeros((2, 3)), np.zeros(3)
    >>> opt = gd.Partition({"muon": gd.Muon(learning_rate=0.1), "adamw": gd.AdamW(learning_rate=0.1)},
    ...                    label=lambda x: "muon" if x.ndim == 2 else "adamw")
    >>> opt.step([W, b], [np.ones((2, 3)), np.array([1.0, -2.0, 0.0])])
    >>> opt.labels, opt.t, sorted(opt.state[1])
    (['muon', 'adamw'], 1, ['m', 't', 'v'])
    >>> np.round(b, 3)                  # Adam's first step: learning_rate * sign(g)
    array([-0.1,  0.1,  0. ])
    >>> opt.step([W, b], [np.ones(3), np.ones(3)])
    Traceback (most recent call last):
    ...
    ValueError: Invalid grads[0]: shape (3,) does not match params[0] shape (2, 3) (group 'muon')
    >>> opt.t                           # refused: nothing moved
    1
    """

    def __init__(self, optimizers, label):
        if not isinstance(optimizers, dict):
            raise TypeError(f"Invalid optimizers: {type(optimizers).__name__} (must be a dict of label -> "
                            "gdlib optimizer, e.g. {'muon': gd.Muon(), 'adamw': gd.AdamW()})")
        if not optimizers:
            raise ValueError("Invalid optimizers: {} (must hold at least one label -> optimizer)")
        seen = {}
        for name, opt in optimizers.items():
            if not isinstance(name, str):
                raise TypeError(f"Invalid optimizers: key {name!r} (labels must be str)")
            if not isinstance(opt, Optimizer):
                raise TypeError(f"Invalid optimizers[{name!r}]: {opt!r} (must be a gdlib optimizer object, "
                                "e.g. gd.AdamW(learning_rate=1e-3))")
            if id(opt) in seen:
                raise ValueError(f"Invalid optimizers: {seen[id(opt)]!r} and {name!r} are the same object "
                                 "(must be distinct: one optimizer keeps one state per array)")
            inner = vars(opt).get("optimizer")        # gd.Averaged(...): what it wraps
            if inner is not None and not isinstance(inner, Optimizer):
                raise TypeError(f"Invalid optimizers[{name!r}]: averages a {type(inner).__name__}, not a gdlib "
                                "optimizer (a Partition cannot hold a Partition: wrap the whole Partition in "
                                "gd.Averaged instead)")
            if getattr(opt, "needs_objective", False):
                raise ValueError(f"Invalid optimizers[{name!r}]: {type(opt).__name__} needs the objective itself, "
                                 "which step(params, grads) cannot give (use it with gd.minimize, not in a Partition)")
            if opt.t != 0:
                raise ValueError(f"Invalid optimizers[{name!r}]: has taken {opt.t} steps (must be fresh: "
                                 "call its reset() first)")
            seen[id(opt)] = name
        if callable(label):
            pass
        elif isinstance(label, (list, tuple)):
            for i, value in enumerate(label):
                self._check_label(value, optimizers, f"label[{i}]: {value!r}")
            label = list(label)
        else:
            raise TypeError(f"Invalid label: {label!r} (must be a list/tuple of labels, one per parameter "
                            "array, or a callable x -> label)")
        self.optimizers = dict(optimizers)
        self.label = label
        self.labels: list[str] | None = None
        self.t = 0
        self.last_learning_rate: dict | None = None
        self._where: list[tuple[str, int]] = []     # array i -> (its label, its index in that group)

    # ------------------------------------------------------------------ public
    @property
    def state(self) -> list[dict]:
        return [self.optimizers[name].state[j] for name, j in self._where]

    @property
    def hyperparameters(self) -> dict:
        """``{"optimizers": ..., "label": ...}``, the constructor's arguments."""
        return {"optimizers": self.optimizers, "label": self.label}

    def learning_rate_at(self, k) -> dict:
        """The validated learning rate of step ``k`` (0-based) of every optimizer, by label.

        Raises
        ------
        TypeError, ValueError
            As :meth:`Optimizer.learning_rate_at` (a bad ``k`` or a failing schedule).
        """
        return {name: opt.learning_rate_at(k) for name, opt in self.optimizers.items()}

    def step(self, params, grads) -> None:
        """Apply one update to ``params`` in place, each array by the optimizer of its label.

        Parameters
        ----------
        params : ndarray or list/tuple of ndarray
            Float arrays, updated in place.
        grads : array_like or list/tuple of array_like
            The gradients, same structure and shapes as ``params``.

        Raises
        ------
        TypeError, ValueError
            As the class says; nothing is modified when a call is refused.
        """
        xs, dxs = pair_params_grads(params, grads)
        labels = self.labels if self.labels is not None else self._resolve(xs)
        if len(labels) != len(xs):
            raise ValueError(f"Invalid params: {len(xs)} arrays, but this Partition's labels cover {len(labels)} "
                             "(must keep the count of the first step; call reset() to start over)")
        groups = {name: [i for i, lab in enumerate(labels) if lab == name] for name in self.optimizers}
        groups = {name: idx for name, idx in groups.items() if idx}
        # 1. every group, checked by its own optimizer, before anything moves
        for name, idx in groups.items():
            opt = self.optimizers[name]
            try:
                opt._check([xs[i] for i in idx], [dxs[i] for i in idx])
                opt.learning_rate_at(opt.t)
                # Momentum/Nesterov with a mu schedule validate mu_k, mu_{k+1} in their step: ask now
                inner = vars(opt).get("optimizer", opt)          # gd.Averaged: the wrapped optimizer
                if callable(getattr(inner, "_mus_of_step", None)):
                    inner._mus_of_step(inner.t)
            except (TypeError, ValueError) as exc:
                raise type(exc)(self._globalise(str(exc), idx) + f" (group {name!r})") from None
        # 2. across groups: one array in two groups would be updated twice
        check_distinct(xs, "params", ": the same array given twice would be updated twice")
        # a gradient that is (a view of) some parameter is read before any group moves
        dxs = [dx.copy() if isinstance(dx, np.ndarray) and any(np.may_share_memory(dx, x) for x in xs) else dx
               for dx in dxs]
        # 3. step
        first = self.labels is None
        for name, idx in groups.items():
            self.optimizers[name].step([xs[i] for i in idx], [dxs[i] for i in idx])
        if first:
            self.labels = list(labels)
            self._where = [(lab, groups[lab].index(i)) for i, lab in enumerate(labels)]
        self.t += 1
        self.last_learning_rate = {name: self.optimizers[name].last_learning_rate for name in groups}

    def reset(self) -> None:
        """Forget all state (every optimizer's too, and the labels a callable gave)."""
        for opt in self.optimizers.values():
            opt.reset()
        self.t, self.last_learning_rate = 0, None
        self.labels, self._where = None, []

    def __repr__(self) -> str:
        return f"Partition(optimizers={self.optimizers!r}, label={self.label!r})"

    # ---------------------------------------------------------------- private
    @staticmethod
    def _check_label(value, optimizers, what):
        """``what`` says where ``value`` came from, e.g. ``"label[2]: 'muonn'"``."""
        keys = ", ".join(map(repr, optimizers))
        if not isinstance(value, str):
            raise TypeError(f"Invalid {what} (must be a str, one of {keys})")
        if value not in optimizers:
            raise ValueError(f"Invalid {what} (must be one of {keys}, the keys of optimizers)")

    def _resolve(self, xs) -> list[str]:
        if not callable(self.label):
            return self.label
        out = []
        for i, x in enumerate(xs):
            value = self.label(x)
            self._check_label(value, self.optimizers, f"label: label(params[{i}]) returned {value!r}")
            out.append(value)
        return out

    @staticmethod
    def _globalise(message, idx) -> str:
        """An optimizer's message about its group's ``params[j]`` names the array's index in the whole list."""
        def swap(match):
            j = int(match.group(2))
            return f"{match.group(1)}[{idx[j]}]" if j < len(idx) else match.group(0)
        message = re.sub(r"\b(params|grads)\[(\d+)\]", swap, message)
        if len(idx) == 1:      # a group of one: the optimizer wrote "params's dtype", with no index
            message = re.sub(r"\b(params|grads)\b(?!\[)", lambda m: f"{m.group(1)}[{idx[0]}]", message)
        return message
