"""Loss functions, each in two forms.

* ``name(...) -> (loss, grad)``: plain numpy, the gradient written out by hand
  (what CS231n's assignments ask for); ``grad`` is the gradient of ``loss``
  with respect to the first argument (``pred`` or ``scores``).
* ``tensor_name(...) -> Tensor``: the same loss built from
  :class:`gdlib.autograd.Tensor` operations, so ``loss.backward()`` computes the
  gradient by reverse-mode automatic differentiation.

Both forms take class labels ``y`` as integers in ``[0, C)``, one per row of
``scores`` (shape ``(N, C)``); a bad label raises ``ValueError`` naming its
position and value. Losses are **means over the batch**, so their gradients
carry a factor :math:`1/N`.

L2 regularisation (optional ``reg`` and ``W`` arguments of the SVM and
softmax losses) follows the convention

.. math:: R(W) = \\tfrac12\\,\\alpha \\sum W^2, \\qquad
          \\frac{\\partial R}{\\partial W} = \\alpha W,

where :math:`\\alpha` is ``reg`` and the sum runs over every entry. (CS231n's assignments
compute ``reg * np.sum(W * W)``, with gradient ``2 * reg * W``; the two differ only in
what a given ``reg`` means: our ``reg`` is twice theirs.) The numpy forms add
:math:`R(W)` to the returned loss, but ``grad`` stays the gradient with respect
to the scores, which :math:`R` does not depend on; add ``reg * W`` to your
``dW`` (see :func:`l2_penalty`). The Tensor forms need no such care:
``backward()`` reaches ``W`` through both terms.
"""
from __future__ import annotations

import numbers

import numpy as np

from .autograd import Tensor, _softmax_cross_entropy

__all__ = [
    "softmax",
    "mse_loss",
    "svm_loss",
    "softmax_cross_entropy",
    "l2_penalty",
    "tensor_mse_loss",
    "tensor_svm_loss",
    "tensor_softmax_cross_entropy",
    "tensor_l2_penalty",
]


# ----------------------------------------------------------------------------- checks
def _real_array(x, name, kinds="iuf"):
    """``x`` as a float64 array; ``TypeError`` naming ``name`` unless its dtype kind is in ``kinds``.

    (``np.asarray(x, dtype=float)`` would raise numpy's own ``ValueError`` for strings, naming
    nothing, and silently drop the imaginary part of complex input.)
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):   # ragged nested lists
        raise TypeError(f"Invalid {name}: {x!r} (must be a rectangular real number array)") from None
    if arr.dtype.kind not in kinds:
        raise TypeError(f"Invalid {name}: dtype {arr.dtype} (must be a real number array)")
    return arr.astype(np.float64, copy=False)


def _as_scores(scores, name="scores"):
    if type(scores) is np.ndarray and scores.dtype == np.float64 and scores.ndim == 2 and scores.size:
        return scores  # fast path: the training loop's case
    arr = _real_array(scores, name)
    if arr.ndim != 2:
        raise ValueError(f"Invalid {name}: shape {arr.shape} (must be 2-D, (N, C))")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"Invalid {name}: shape {arr.shape} (must have N >= 1 rows and C >= 1 columns)")
    return arr


def _check_labels(y, n_samples, n_classes):
    """Return ``y`` as an int64 array of length ``n_samples`` with values in ``[0, n_classes)``.

    Raises ``ValueError`` naming the first offending label and its position.
    """
    y_arr = np.asarray(y)
    # Fast path (the training loop's case): an int64 array of the right length in range. Viewed as
    # unsigned, a negative label becomes >= 2**63, so one max() checks both ends of the range.
    if (
        y_arr.dtype == np.int64
        and y_arr.shape == (n_samples,)
        and n_samples > 0
        and np.maximum.reduce(y_arr.view(np.uint64)) < n_classes
    ):
        return y_arr
    if y_arr.dtype == bool or not (
        np.issubdtype(y_arr.dtype, np.integer) or np.issubdtype(y_arr.dtype, np.floating)
    ):
        raise ValueError(f"Invalid y: dtype {y_arr.dtype} (labels must be integers in [0, {n_classes}))")
    if y_arr.ndim != 1 or y_arr.shape[0] != n_samples:
        raise ValueError(
            f"Invalid y: shape {y_arr.shape} (must be ({n_samples},), one label per row of scores)"
        )
    if np.issubdtype(y_arr.dtype, np.floating):
        bad = np.flatnonzero(~np.isfinite(y_arr) | (y_arr != np.round(y_arr)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"Invalid label y[{i}] = {y_arr[i].item()!r} (labels must be integers in [0, {n_classes}))")
    bad = np.flatnonzero((y_arr < 0) | (y_arr >= n_classes))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"Invalid label y[{i}] = {y_arr[i].item()!r} (must be in [0, {n_classes}) for {n_classes} classes)")
    return y_arr.astype(np.int64)


def _check_delta(delta):
    """The SVM margin as a float, finite and > 0."""
    if isinstance(delta, (bool, np.bool_)) or not isinstance(delta, numbers.Real):
        raise TypeError(f"Invalid delta: {delta!r} (must be a real number > 0)")
    if not np.isfinite(delta) or delta <= 0:
        raise ValueError(f"Invalid delta: {delta!r} (must be finite and > 0)")
    return float(delta)


def _check_reg(reg, W):
    if W is None and type(reg) in (float, int) and reg == 0.0:  # fast path: no regularisation
        return 0.0
    if isinstance(reg, (bool, np.bool_)) or not isinstance(reg, numbers.Real):
        raise TypeError(f"Invalid reg: {reg!r} (must be a real number >= 0)")
    if not np.isfinite(reg) or reg < 0:
        raise ValueError(f"Invalid reg: {reg!r} (must be finite and >= 0)")
    if reg > 0 and W is None:
        raise ValueError(f"Invalid W: None (reg={reg!r} > 0 needs the weights W to penalise)")
    return float(reg)


def _weight_list(W):
    """``W`` as a list (one array or a list/tuple of arrays)."""
    if W is None:
        return []
    if isinstance(W, (list, tuple)):
        return list(W)
    return [W]


# ----------------------------------------------------------------------------- numpy forms
def softmax(scores):
    """Row-wise softmax, computed stably.

    Parameters
    ----------
    scores : array_like of shape (..., C)
        Unnormalised log-probabilities; the softmax runs over the last axis.

    Returns
    -------
    probs : ndarray of the same shape
        Non-negative, each row summing to 1.

    Raises
    ------
    TypeError
        When ``scores`` does not hold real numbers (strings, complex).
    ValueError
        When ``scores`` is 0-d or its last axis is empty.

    Notes
    -----
    .. math:: \\mathrm{softmax}(s)_j = \\frac{e^{s_j}}{\\sum_l e^{s_l}}
              = \\frac{e^{s_j - s_{\\max}}}{\\sum_l e^{s_l - s_{\\max}}}, \\quad s_{\\max} = \\max_l s_l.

    Subtracting the row maximum changes nothing mathematically but keeps every
    exponent :math:`\\le 0`, so :math:`e^{s_j - s_{\\max}} \\in (0, 1]` never overflows
    (``exp(1000)`` is ``inf`` in float64) and the denominator is at least 1.

    Same values as ``scipy.special.softmax(scores, axis=-1)`` and
    ``torch.softmax(scores, dim=-1)``; unlike them it always works in float64.

    References
    ----------
    .. [1] CS231n, "Linear classification: Softmax classifier, practical issues:
       numeric stability", https://cs231n.github.io/linear-classify/#softmax

    Examples
    --------
    >>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])).round(6).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    """
    s = _real_array(scores, "scores")
    if s.ndim == 0 or s.shape[-1] == 0:
        raise ValueError(f"Invalid scores: shape {s.shape} (must have at least 1 dimension and C >= 1 classes)")
    shifted = s - s.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def l2_penalty(W, reg):
    """L2 penalty :math:`\\tfrac12\\alpha\\sum W^2` and its gradient :math:`\\alpha W`.

    Parameters
    ----------
    W : ndarray or list of ndarray
        Weights (a list sums the penalty over all arrays).
    reg : float
        Regularisation strength :math:`\\alpha \\ge 0`.

    Returns
    -------
    loss : float
    grads : ndarray or list of ndarray
        ``reg * W``, with the structure of ``W``.

    Raises
    ------
    TypeError
        For ``W=None``, weights that are not real numbers, or a non-numeric ``reg``.
    ValueError
        For a negative or non-finite ``reg``.

    Notes
    -----
    :math:`R(W) = \\tfrac12\\alpha\\sum W^2`, so :math:`\\partial R/\\partial W = \\alpha W`.
    With plain gradient descent this is ``torch.optim.SGD``'s ``weight_decay=reg``
    (which adds ``reg * W`` to the gradient). CS231n's ``reg * np.sum(W * W)``
    (gradient ``2 * reg * W``) is ``l2_penalty(W, 2 * reg)``.

    Examples
    --------
    >>> loss, dW = l2_penalty(np.array([[1.0, -2.0]]), reg=0.1)
    >>> round(loss, 12), dW.tolist()
    (0.25, [[0.1, -0.2]])
    """
    if W is None:
        raise TypeError("Invalid W: None (must be an array or a list of arrays)")
    reg = _check_reg(reg, W)
    arrays = [_real_array(w, "W") for w in _weight_list(W)]
    loss = 0.5 * reg * sum(float(np.sum(w * w)) for w in arrays)
    grads = [reg * w for w in arrays]
    return loss, (grads if isinstance(W, (list, tuple)) else grads[0])


def mse_loss(pred, target):
    """Mean squared error and its gradient with respect to ``pred``.

    Parameters
    ----------
    pred, target : array_like of the same shape
        Predictions and targets. Shapes must match exactly: no broadcasting,
        because ``(N,)`` against ``(N, 1)`` would silently broadcast to
        ``(N, N)``, a classic bug.

    Returns
    -------
    loss : float
        :math:`\\mathcal L = \\frac1{|p|} \\sum_i (p_i - y_i)^2`, :math:`|p|` the number of
        elements, :math:`y` the targets.
    grad : ndarray
        :math:`\\partial \\mathcal L / \\partial p_i = \\frac{2}{|p|} (p_i - y_i)`.

    Raises
    ------
    ValueError
        When the shapes differ or the arrays are empty.
    TypeError
        When ``pred`` or ``target`` does not hold numbers.

    Notes
    -----
    No factor :math:`\\tfrac12`: this is the mean of squares as in
    ``torch.nn.MSELoss``, hence the 2 in the gradient.

    Examples
    --------
    >>> loss, grad = mse_loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    >>> float(loss), grad.tolist()
    (2.5, [1.0, -2.0])
    """
    p = _real_array(pred, "pred", kinds="biuf")
    t = _real_array(target, "target", kinds="biuf")
    if p.shape != t.shape:
        raise ValueError(f"Invalid target: shape {t.shape} (must equal pred's shape {p.shape})")
    if p.size == 0:
        raise ValueError(f"Invalid pred: shape {p.shape} (must not be empty)")
    diff = p - t
    return float(np.mean(diff * diff)), 2.0 * diff / p.size


def svm_loss(scores, y, delta=1.0, reg=0.0, W=None):
    """Multiclass SVM (hinge) loss, averaged over the batch, and its gradient.

    Parameters
    ----------
    scores : array_like of shape (N, C)
        Class scores :math:`s_{ij}`, one row per sample.
    y : array_like of int, shape (N,)
        Correct class of each sample, in ``[0, C)``.
    delta : float, default 1.0
        Margin :math:`\\Delta > 0`.
    reg : float, default 0.0
        L2 strength :math:`\\alpha`; adds :math:`\\tfrac12\\alpha\\sum W^2` (see the module notes).
    W : ndarray or list of ndarray, optional
        Weights to penalise; required when ``reg > 0``.

    Returns
    -------
    loss : float
    grad : ndarray of shape (N, C)
        :math:`\\partial \\mathcal L / \\partial s` (the penalty does not depend on the scores).

    Raises
    ------
    ValueError
        For a label out of range, non-integer, or ``y`` of the wrong length
        (the message names the position and value), a non-2-D ``scores``,
        ``delta <= 0``, or ``reg > 0`` without ``W``.

    Notes
    -----
    With the hinge arguments :math:`a_{ij} = s_{ij} - s_{i y_i} + \\Delta` for :math:`j \\ne y_i`,

    .. math:: \\mathcal L = \\frac1N \\sum_i \\sum_{j \\ne y_i} \\max(0, a_{ij}).

    Derivation of the gradient (the "fixed" one: the division by :math:`N`
    applies to every entry, including the correct class). Each term
    :math:`\\max(0, a_{ij})` has derivative :math:`\\mathbb 1[a_{ij} > 0]` with respect
    to :math:`a_{ij}`, and :math:`a_{ij}` depends on :math:`s_{ij}` with coefficient
    :math:`+1` and on :math:`s_{iy_i}` with coefficient :math:`-1`. Summing over
    the terms of sample :math:`i`:

    .. math::
        \\frac{\\partial \\mathcal L}{\\partial s_{ij}} = \\frac1N\\,\\mathbb 1[a_{ij} > 0]
        \\quad (j \\ne y_i), \\qquad
        \\frac{\\partial \\mathcal L}{\\partial s_{iy_i}} = -\\frac1N \\sum_{j \\ne y_i}\\mathbb 1[a_{ij} > 0].

    So the correct class receives minus the *count* of violating classes. At a
    kink (:math:`a_{ij} = 0` exactly) the loss is not differentiable; we use the
    subgradient 0 there (strict inequality). Through :math:`s = XW` this gives
    CS231n's :math:`dW = X^\\top\\,\\partial \\mathcal L/\\partial s`.

    ``torch.nn.MultiMarginLoss(p=1, margin=delta)`` uses the same hinge terms but
    also divides each sample's sum by the number of classes :math:`C`: its loss
    and gradient are this function's divided by :math:`C`.

    References
    ----------
    .. [1] CS231n, "Linear classification: Multiclass Support Vector Machine loss",
       https://cs231n.github.io/linear-classify/#svm
    .. [2] J. Weston and C. Watkins, "Support vector machines for multi-class
       pattern recognition", ESANN 1999.

    Examples
    --------
    CS231n's worked example: scores (13, -7, 11), correct class 0, so margins
    :math:`\\max(0, -7-13+10) = 0` and :math:`\\max(0, 11-13+10) = 8` with
    :math:`\\Delta = 10`:

    >>> loss, grad = svm_loss(np.array([[13.0, -7.0, 11.0]]), [0], delta=10.0)
    >>> float(loss), grad.tolist()
    (8.0, [[-1.0, 0.0, 1.0]])
    """
    s = _as_scores(scores)
    n, c = s.shape
    y = _check_labels(y, n, c)
    delta = _check_delta(delta)
    reg = _check_reg(reg, W)
    rows = np.arange(n)
    margins = s - s[rows, y][:, None] + delta
    margins[rows, y] = 0.0
    positive = margins > 0
    loss = float(np.sum(margins[positive])) / n
    grad = positive.astype(np.float64)
    grad[rows, y] = -positive.sum(axis=1)
    grad /= n
    if reg > 0:
        loss += l2_penalty(W, reg)[0]
    return loss, grad


def softmax_cross_entropy(scores, y, reg=0.0, W=None):
    """Softmax cross-entropy loss, averaged over the batch, and its gradient.

    Parameters
    ----------
    scores : array_like of shape (N, C)
        Unnormalised log-probabilities (logits).
    y : array_like of int, shape (N,)
        Correct classes, in ``[0, C)``.
    reg : float, default 0.0
        L2 strength :math:`\\alpha`; adds :math:`\\tfrac12\\alpha\\sum W^2` (see the module notes).
    W : ndarray or list of ndarray, optional
        Weights to penalise; required when ``reg > 0``.

    Returns
    -------
    loss : float
    grad : ndarray of shape (N, C)
        :math:`(\\mathrm{softmax}(s) - \\mathrm{onehot}(y)) / N`.

    Raises
    ------
    ValueError
        For a label out of range, non-integer, or ``y`` of the wrong length
        (the message names the position and value), a non-2-D ``scores``, or
        ``reg > 0`` without ``W``.

    Notes
    -----
    .. math::
        \\mathcal L = -\\frac1N \\sum_i \\log \\frac{e^{s_{iy_i}}}{\\sum_j e^{s_{ij}}}
          = \\frac1N \\sum_i \\Big( \\log\\sum_j e^{s_{ij} - s_i^{\\max}} - (s_{iy_i} - s_i^{\\max}) \\Big),
        \\quad s_i^{\\max} = \\max_j s_{ij}.

    The shifted log-sum-exp never overflows (every exponent is :math:`\\le 0`,
    the sum is :math:`\\ge 1`), so scores of :math:`\\pm 1000` give a finite
    loss and no warning. Differentiating,
    :math:`\\partial \\mathcal L/\\partial s_{ij} = (p_{ij} - \\mathbb 1[j = y_i]) / N` with
    :math:`p_i = \\mathrm{softmax}(s_i)`.

    Equals ``torch.nn.functional.cross_entropy(scores, y)`` with its default
    ``reduction="mean"`` (CS231n's softmax loss without the penalty).

    References
    ----------
    .. [1] CS231n, "Linear classification: Softmax classifier",
       https://cs231n.github.io/linear-classify/#softmax

    Examples
    --------
    Uniform scores over :math:`C` classes give :math:`\\log C`:

    >>> loss, grad = softmax_cross_entropy(np.zeros((2, 4)), [0, 3])
    >>> bool(np.isclose(loss, np.log(4))), grad[0].tolist()
    (True, [-0.375, 0.125, 0.125, 0.125])
    """
    s = _as_scores(scores)
    n, c = s.shape
    y = _check_labels(y, n, c)
    reg = _check_reg(reg, W)
    rows = np.arange(n)
    shifted = s - s.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    sum_e = e.sum(axis=1)
    log_probs_y = shifted[rows, y] - np.log(sum_e)
    loss = -float(np.mean(log_probs_y))
    grad = e / sum_e[:, None]
    grad[rows, y] -= 1.0
    grad /= n
    if reg > 0:
        loss += l2_penalty(W, reg)[0]
    return loss, grad


# ----------------------------------------------------------------------------- Tensor forms
def _tensor(x, name="pred"):
    return x if isinstance(x, Tensor) else Tensor(_real_array(x, name))


def _onehot(y, n, c):
    onehot = np.zeros((n, c))
    onehot[np.arange(n), y] = 1.0
    return onehot


def tensor_l2_penalty(W, reg):
    """:math:`\\tfrac12\\alpha\\sum W^2` as a Tensor expression (see :func:`l2_penalty`).

    Parameters
    ----------
    W : Tensor or list of Tensor
    reg : float
        L2 strength :math:`\\alpha \\ge 0`.

    Returns
    -------
    Tensor
        A scalar; ``backward()`` gives each ``W`` the gradient ``reg * W``.

    Raises
    ------
    TypeError
        For ``W=None`` or a non-numeric ``reg``.
    ValueError
        For a negative or non-finite ``reg``.

    Examples
    --------
    >>> from gdlib.autograd import Tensor
    >>> W = Tensor(np.array([[1.0, -2.0]]))
    >>> loss = tensor_l2_penalty(W, reg=0.1)
    >>> loss.backward()
    >>> round(float(loss.data), 12), W.grad.tolist()
    (0.25, [[0.1, -0.2]])
    """
    if W is None:
        raise TypeError("Invalid W: None (must be a Tensor or a list of Tensors)")
    reg = _check_reg(reg, W)
    total = None
    for w in _weight_list(W):
        w = _tensor(w, "W")
        term = (w * w).sum()
        total = term if total is None else total + term
    if total is None:
        return _tensor(0.0)
    return total * (0.5 * reg)


def tensor_mse_loss(pred, target):
    """Mean squared error as a Tensor expression (see :func:`mse_loss`).

    Parameters
    ----------
    pred : Tensor or array_like
    target : array_like or Tensor of the same shape

    Returns
    -------
    Tensor
        The scalar :math:`\\frac1{|p|}\\sum_i (p_i - y_i)^2`.

    Raises
    ------
    ValueError
        When the shapes differ or are empty.

    Examples
    --------
    >>> from gdlib.autograd import Tensor
    >>> p = Tensor(np.array([1.0, 2.0]))
    >>> loss = tensor_mse_loss(p, np.array([0.0, 4.0]))
    >>> loss.backward()
    >>> float(loss.data), p.grad.tolist()
    (2.5, [1.0, -2.0])
    """
    p = _tensor(pred)
    t = target if hasattr(target, "data") and hasattr(target, "backward") else _real_array(target, "target")
    t_shape = np.shape(t.data) if hasattr(t, "backward") else t.shape
    if p.data.shape != t_shape:
        raise ValueError(f"Invalid target: shape {t_shape} (must equal pred's shape {p.data.shape})")
    if p.data.size == 0:
        raise ValueError(f"Invalid pred: shape {p.data.shape} (must not be empty)")
    diff = p - t
    return (diff * diff).sum() * (1.0 / p.data.size)


def tensor_svm_loss(scores, y, delta=1.0, reg=0.0, W=None):
    """Multiclass SVM loss as a Tensor expression (see :func:`svm_loss`).

    Parameters
    ----------
    scores : Tensor of shape (N, C)
    y : array_like of int, shape (N,)
    delta : float, default 1.0
    reg : float, default 0.0
    W : Tensor or list of Tensor, optional
        Required when ``reg > 0``; receives the penalty's gradient too.

    Returns
    -------
    Tensor
        A scalar.

    Raises
    ------
    ValueError
        As :func:`svm_loss`.

    Notes
    -----
    Built from elementwise operations only: with the constant one-hot matrix
    :math:`Y`, the correct scores are :math:`s_{iy_i} = \\big((s \\odot Y)\\mathbf 1\\big)_i`, and

    .. math:: \\mathcal L = \\frac1N \\sum_{ij} (1 - Y_{ij})\\,\\mathrm{relu}(s_{ij} - s_{iy_i} + \\Delta).

    The mask :math:`1 - Y` removes the :math:`j = y_i` terms (each would add
    :math:`\\Delta`). Backpropagating through this graph reproduces the
    hand-derived gradient of :func:`svm_loss` away from kinks.

    Examples
    --------
    >>> from gdlib.autograd import Tensor
    >>> s = Tensor(np.array([[13.0, -7.0, 11.0]]))
    >>> loss = tensor_svm_loss(s, [0], delta=10.0)
    >>> loss.backward()
    >>> float(loss.data), s.grad.tolist()
    (8.0, [[-1.0, 0.0, 1.0]])
    """
    s = _tensor(scores, "scores")
    n, c = _as_scores(s.data).shape
    y = _check_labels(y, n, c)
    delta = _check_delta(delta)
    reg = _check_reg(reg, W)
    onehot = _onehot(y, n, c)
    correct = (s * onehot).sum(axis=1, keepdims=True)
    margins = (s - correct + float(delta)).relu() * (1.0 - onehot)
    loss = margins.sum() * (1.0 / n)
    if reg > 0:
        loss = loss + tensor_l2_penalty(W, reg)
    return loss


def tensor_softmax_cross_entropy(scores, y, reg=0.0, W=None):
    """Softmax cross-entropy as a Tensor expression (see :func:`softmax_cross_entropy`).

    Parameters
    ----------
    scores : Tensor of shape (N, C)
    y : array_like of int, shape (N,)
    reg : float, default 0.0
    W : Tensor or list of Tensor, optional
        Required when ``reg > 0``.

    Returns
    -------
    Tensor
        A scalar.

    Raises
    ------
    ValueError
        As :func:`softmax_cross_entropy`.

    Notes
    -----
    One fused graph node (``softmax_ce``): the forward pass is the shifted
    log-sum-exp of :func:`softmax_cross_entropy`, the backward pass its closed
    form :math:`\\bar s = \\bar{\\mathcal L}\\,(p - Y)/N`. The same loss written with
    elementwise Tensor operations,

    .. math:: \\mathcal L = \\frac1N \\sum_i \\Big( \\log \\sum_j e^{s_{ij} - s_i^{\\max}}
              - \\sum_j Y_{ij} (s_{ij} - s_i^{\\max}) \\Big),

    with the one-hot matrix :math:`Y` and the row maxima :math:`s_i^{\\max}` taken as
    constants (log-sum-exp satisfies :math:`\\mathrm{lse}(s) = \\mathrm{lse}(s - b) + b`
    for **any** constant :math:`b`), gives the same value and gradient through
    ``exp``, ``sum``, ``log`` and ``*`` nodes (the tests check it); the
    fused node does it in two Python calls instead of about ten.

    Examples
    --------
    >>> from gdlib.autograd import Tensor
    >>> s = Tensor(np.array([[1000.0, -1000.0]]))
    >>> loss = tensor_softmax_cross_entropy(s, [0])
    >>> loss.backward()
    >>> float(loss.data), s.grad.tolist()
    (0.0, [[0.0, 0.0]])
    """
    s = _tensor(scores, "scores")
    n, c = _as_scores(s.data).shape
    y = _check_labels(y, n, c)
    reg = _check_reg(reg, W)
    loss = _softmax_cross_entropy(s, y)
    if reg > 0:
        loss = loss + tensor_l2_penalty(W, reg)
    return loss
