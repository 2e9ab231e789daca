r"""Muon: momentum orthogonalised by a Newton–Schulz iteration (2-D parameters only)."""
from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["Muon", "newton_schulz"]

#: the quintic iteration's coefficients (a, b, c), as in torch.optim.Muon and Jordan et al.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _check_steps(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"Invalid {name}: {value!r} (must be an int in [1, 99])")
    if not 1 <= value < 100:
        raise ValueError(f"Invalid {name}: {value} (must be an int in [1, 99])")
    return int(value)


def newton_schulz(G, steps=5, eps=1e-7):
    r"""Push the singular values of a matrix toward 1 (the quintic Newton–Schulz iteration).

    Parameters
    ----------
    G : array_like, shape (rows, cols)
        A real matrix; not modified.
    steps : int, default 5
        Number of iterations, in ``[1, 99]`` (torch's limit).
    eps : float, default 1e-7
        :math:`\epsilon > 0`: the Frobenius norm is clamped below at ``eps`` before dividing.

    Returns
    -------
    ndarray, float64, shape (rows, cols)
        Approximately :math:`U V^\top` where :math:`G = U \Sigma V^\top` is the reduced SVD.

    Raises
    ------
    TypeError
        If ``G`` is not real numbers or ``steps`` is not an int.
    ValueError
        If ``G`` is not 2-D (the message gives its shape) or is empty, ``steps`` is outside
        ``[1, 99]`` or ``eps <= 0``.

    Notes
    -----
    With :math:`(a_1, a_3, a_5) = (3.4445, -4.7750, 2.0315)` (torch's ``a, b, c``), start from
    :math:`Y_0 = G / \max(\|G\|_F, \epsilon)` (transposed first when rows > cols, so the Gram
    matrix is the smaller one) and iterate

    .. math::

        Y_{j+1} = a_1 Y_j + \big(a_3\, Y_j Y_j^\top + a_5\, (Y_j Y_j^\top)^2\big)\, Y_j .

    Each singular value :math:`\sigma` of :math:`Y_j` maps to
    :math:`p(\sigma) = a_1\sigma + a_3\sigma^3 + a_5\sigma^5` while the singular vectors stay. Dividing
    by the Frobenius norm puts every :math:`\sigma` in :math:`[0, 1]`; :math:`p` has a large
    slope :math:`a_1` at 0, so small singular values grow fast. The coefficients trade exactness
    for speed: after five steps a singular value that started at :math:`\sigma \ge 1.6 \cdot 10^{-3}
    \|G\|_F` lies in :math:`[0.68, 1.21]`, not at 1 (at :math:`\sigma \ge 10^{-2} \|G\|_F`, in
    :math:`[0.68, 1.14]`; measured on :math:`p` itself, and on 200 random matrices up to 40 x 40 in
    tests/test_lion_muon.py). A smaller one is still climbing, by about :math:`a_1` per step
    (from :math:`10^{-3} \|G\|_F` it reaches 0.47 after five steps, and a zero singular value
    stays 0), so five steps are not enough for a matrix whose singular values span more than
    about 2.8 decades (the ``rows > cols`` transpose changes nothing in exact arithmetic). ``torch.optim.Muon``
    runs this iteration in bfloat16 (8 significant bits, about 2-3 decimal digits); here it runs in
    float64, so one call agrees with torch's to about 2e-2 relative (Frobenius norm of the
    difference; measured 1.6e-2 to 2.2e-2 on random 5 x 8 to 32 x 16 matrices, torch 2.13), not to
    rounding.

    References
    ----------
    K. Jordan, Y. Jin, V. Boza, J. You, F. Cesista, L. Newhouse and J. Bernstein, "Muon: an
    optimizer for hidden layers in neural networks", 2024, kellerjordan.github.io/posts/muon.

    N. J. Higham, *Functions of Matrices*, SIAM 2008, ch. 8 (Newton–Schulz for the polar factor).

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> G = np.diag([10.0, 1.0, 0.1])         # singular values 100 times apart
    >>> for steps in (1, 3, 5):
    ...     print(steps, np.round(np.linalg.svd(gd.newton_schulz(G, steps=steps), compute_uv=False), 2))
    1 [0.7  0.34 0.03]
    3 [0.72 0.71 0.4 ]
    5 [0.71 0.7  0.7 ]

    The iteration does not converge to 1: it keeps every singular value in a band (here they
    alternate between about 0.7 and 1.1 from step 4 on).
    """
    try:
        raw = np.asarray(G)
    except (TypeError, ValueError):
        raise TypeError(f"Invalid G: {type(G).__name__} is not a rectangular array of real numbers") from None
    if raw.dtype.kind not in "fiu":
        raise TypeError(f"Invalid G: dtype {raw.dtype} (must be real numbers)")
    if raw.ndim != 2 or raw.size == 0:
        raise ValueError(f"Invalid G: shape {raw.shape} (must be a non-empty 2-D matrix)")
    steps = _check_steps("steps", steps)
    eps = _check_hyper("eps", eps, low=0.0, low_open=True)
    a, b, c = NS_COEFFICIENTS
    X = raw.astype(np.float64)
    transposed = X.shape[0] > X.shape[1]
    if transposed:
        X = X.T
    X = X / max(float(np.linalg.norm(X)), eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * (A @ A)) @ X
    return np.ascontiguousarray(X.T if transposed else X)


class Muon(Optimizer):
    r"""Muon: orthogonalise the momentum of a weight matrix, then step (2-D parameters only).

    .. code-block:: python

        m = mu * m + (1 - mu) * dx
        update = (1 - mu) * dx + mu * m if nesterov else m
        x *= 1 - learning_rate * weight_decay
        x += -learning_rate * np.sqrt(max(1, rows / cols)) * newton_schulz(update, ns_steps, eps)

    Parameters
    ----------
    learning_rate : float or callable, default 0.02
        :math:`\eta > 0`, or a schedule.
    mu : float, default 0.95
        Momentum, in ``[0, 1)``.
    nesterov : bool, default True
        Step along :math:`(1-\mu) g + \mu m` (Nesterov's look-ahead) instead of :math:`m`.
    ns_steps : int, default 5
        Newton–Schulz iterations, in ``[1, 99]``.
    weight_decay : float, default 0.0
        Decoupled weight decay :math:`\alpha \ge 0`, multiplied by :math:`\eta` as in AdamW.
    eps : float, default 1e-7
        :math:`\epsilon > 0`, the floor of the Frobenius norm in :func:`newton_schulz`.

    Raises
    ------
    ValueError
        For a hyperparameter out of range, and at :meth:`step` for a parameter that is not 2-D
        (the message gives its shape; nothing is modified). Biases and gains go to another
        optimizer (AdamW, say), as in every Muon recipe.
    TypeError
        If ``nesterov`` is not a bool or ``ns_steps`` not an int.

    Notes
    -----
    With :math:`m_0 = 0`, a parameter matrix of shape rows :math:`\times` cols and
    :math:`\mathrm{NS}` the map of :func:`newton_schulz`:

    .. math::

        m_t = \mu m_{t-1} + (1-\mu) g_t, \qquad
        \tilde g_t = (1-\mu) g_t + \mu m_t \ \text{(nesterov) or } m_t, \\
        x_t = (1 - \eta_{t-1} \alpha)\, x_{t-1}
              - \eta_{t-1} \sqrt{\max(1, \text{rows}/\text{cols})}\ \mathrm{NS}(\tilde g_t),

    where :math:`\alpha` is ``weight_decay``. ``state[i]`` holds ``"m"`` and ``"t"``.

    :math:`\mathrm{NS}(\tilde g) \approx U V^\top` for :math:`\tilde g = U \Sigma V^\top`: the step direction
    that decreases the linear model :math:`\langle \tilde g, \Delta x\rangle` most among steps of
    spectral norm at most 1, i.e. steepest descent under the spectral norm. Every direction the
    momentum points in gets a step of about the same size, however small its singular value.

    **Layout.** The factor :math:`\sqrt{\max(1, \text{rows}/\text{cols})}` reads the array's shape as
    it is, like torch's: it makes the root-mean-square entry of the step :math:`\eta/\sqrt{\text{cols}}`
    for any shape. A ``torch.nn.Linear`` weight is (out, in), so there the factor is
    :math:`\sqrt{\max(1, \text{fan\_out}/\text{fan\_in})}` and enlarges the steps of layers that
    widen; gdlib's ``Linear`` stores (in, out), so the same factor is
    :math:`\sqrt{\max(1, \text{fan\_in}/\text{fan\_out})}` and enlarges the steps of layers that
    narrow. :math:`\mathrm{NS}(\tilde g^\top) = \mathrm{NS}(\tilde g)^\top`, so only the factor
    differs: on the same layer, the step on a gdlib weight is
    :math:`\sqrt{\text{fan\_in}/\text{fan\_out}}` times torch's, larger if the layer narrows and
    smaller if it widens (2.53 and 1/2.53 for 64 -> 10 and 10 -> 64, measured against torch 2.13).
    For square matrices the factor is 1 in both layouts.

    **torch.optim.** ``torch.optim.Muon(lr, weight_decay, momentum=mu, nesterov, eps, ns_steps)``
    with ``adjust_lr_fn=None`` ("original") is these lines, except for two things. Its
    Newton–Schulz iteration runs in **bfloat16** (8 significant bits): one orthogonalised
    direction differs from the float64 one by about 2e-2 relative, and the summed steps of 10
    updates by about 1e-2 (measured on 8 x 5, 5 x 8 and 32 x 16 matrices, torch 2.13; the
    momentum buffers agree to rounding, since torch keeps them in the parameter's dtype).
    Its default ``weight_decay`` is 0.1 (here 0.0). Its momentum buffer is
    ``buf.lerp_(grad, 1 - momentum)``, the average form above (the original Muon code writes
    ``buf = mu * buf + g``, a buffer :math:`1/(1-\mu)` times larger; the normalisation inside
    :func:`newton_schulz` makes the two give the same step). Here the iteration runs in float64
    and parameters of float32/float16 get the float64 step rounded to their dtype.

    References
    ----------
    K. Jordan, Y. Jin, V. Boza, J. You, F. Cesista, L. Newhouse and J. Bernstein, "Muon: an
    optimizer for hidden layers in neural networks", 2024, kellerjordan.github.io/posts/muon.

    J. Bernstein and L. Newhouse, "Old optimizer, new norm: an anthology", arXiv:2409.20325, 2024.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> W = np.zeros((2, 3))
    >>> gd.Muon(learning_rate=0.1, nesterov=False).step(W, np.array([[4.0, 0, 0], [0, 0.01, 0]]))
    >>> np.round(W, 2)      # gradients 400 times apart, steps within a factor 1.5
    array([[-0.07,  0.  ,  0.  ],
           [ 0.  , -0.1 ,  0.  ]])
    >>> gd.Muon().step(np.zeros(3), np.ones(3))
    Traceback (most recent call last):
    ...
    ValueError: Invalid params: shape (3,) (Muon updates 2-D matrices only: give vectors and scalars to another optimizer, e.g. AdamW)
    """

    buffers = ("m",)

    def __init__(self, learning_rate=0.02, mu=0.95, nesterov=True, ns_steps=5, weight_decay=0.0, eps=1e-7):
        super().__init__(learning_rate)
        self.mu = _check_hyper("mu", mu, low=0.0, high=1.0)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"Invalid nesterov: {nesterov!r} (must be True or False)")
        self.nesterov = bool(nesterov)
        self.ns_steps = _check_steps("ns_steps", ns_steps)
        self.weight_decay = _check_hyper("weight_decay", weight_decay, low=0.0)
        self.eps = _check_hyper("eps", eps, low=0.0, low_open=True)

    def _check(self, params, grads):
        xs, dxs = super()._check(params, grads)
        for i, x in enumerate(xs):
            if x.ndim != 2:
                where = "" if isinstance(params, np.ndarray) else f"[{i}]"
                raise ValueError(f"Invalid params{where}: shape {x.shape} (Muon updates 2-D matrices only: "
                                 "give vectors and scalars to another optimizer, e.g. AdamW)")
        return xs, dxs

    def _check_dtypes(self, xs):
        """``eps`` is used in float64 only (inside :func:`newton_schulz`): no dtype can round it to 0."""

    def _update(self, x, dx, state, lr, buf):
        mu, m = self.mu, state["m"]
        m *= mu                                      # m = mu * m + (1 - mu) * dx
        m += (1.0 - mu) * dx
        u = (1.0 - mu) * dx.astype(np.float64) + mu * m.astype(np.float64) if self.nesterov else m
        O = newton_schulz(u, self.ns_steps, self.eps)
        rows, cols = x.shape
        if self.weight_decay:
            x *= 1.0 - lr * self.weight_decay
        x -= (lr * math.sqrt(max(1.0, rows / cols)) * O).astype(x.dtype)
