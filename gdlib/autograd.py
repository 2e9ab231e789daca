"""Reverse-mode automatic differentiation on numpy arrays: the ``Tensor``.

A :class:`Tensor` holds a float64 array ``data`` and, after
:meth:`Tensor.backward`, the gradient ``grad`` of a scalar output with respect
to it. Every operation on Tensors builds a new node that remembers its parents,
the name of its operation and a small *backward* function: given the gradient
:math:`\\bar y = \\partial \\mathcal L/\\partial y` of the output :math:`y`, it **adds**
each parent's share :math:`\\bar x \\mathrel{+}= \\bar y\\,\\partial y/\\partial x`
(the chain rule) to that parent's ``grad``. ``backward()`` visits the nodes in
reverse topological order, so a node's gradient is complete (all its uses have
contributed) before it is passed on. This is micrograd's design [1]_ on whole
arrays instead of single numbers, and the "backprop as a circuit" of CS231n's
notes [2]_::

    >>> x, y, z = Tensor(-2.0, label="x"), Tensor(5.0, label="y"), Tensor(-4.0, label="z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> float(f.data), float(x.grad), float(y.grad), float(z.grad)
    (-12.0, -4.0, -4.0, 3.0)

Conventions: a scalar is a 0-d Tensor; numpy broadcasting works in every
binary operation and the gradient that reaches an operand is summed back to
that operand's shape; numbers and arrays mix with Tensors on either side
(``2 * x``, ``A @ x``, ``1 - x``) and are treated as constants.

Two *fused* nodes make the networks of :mod:`gdlib.nn` fast: :func:`_linear`
(``x @ W + b`` as one node) and :func:`_softmax_cross_entropy` (the softmax
cross-entropy loss as one node whose backward is the closed form
:math:`(p - Y)/N`). They compute exactly what the composed graphs compute
(the tests check this), with fewer Python calls; :class:`gdlib.nn.Linear` and
:func:`gdlib.losses.tensor_softmax_cross_entropy` use them.

References
----------
.. [1] A. Karpathy, "micrograd", https://github.com/karpathy/micrograd
.. [2] CS231n, "Backpropagation, intuitions", https://cs231n.github.io/optimization-2/
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ._validation import check_bool

__all__ = ["Tensor", "tensor", "LogDomainWarning"]

_float64 = np.float64
_ndarray = np.ndarray
# The ufunc reductions themselves: ndarray.sum/max go through a Python wrapper first (~1 us each),
# which is a noticeable share of a small network's step.
_sum_reduce = np.add.reduce
_max_reduce = np.maximum.reduce


class LogDomainWarning(UserWarning):
    """``log`` met a value ``<= 0``: the result holds ``-inf``/``nan`` and so will the gradients.

    A ``UserWarning`` (not a ``RuntimeWarning``): it reports a problem with the
    input, and it is raised once per offending ``log`` call instead of numpy's
    per-ufunc ``divide``/``invalid`` warnings.
    """


def _as_float_array(value, name):
    """``value`` as a float64 ndarray, without a copy when it already is one."""
    if type(value) is _ndarray and value.dtype == _float64:
        return value
    if isinstance(value, Tensor):
        raise TypeError(f"Invalid {name}: a Tensor (use its .data, or operate on the Tensor itself)")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Invalid {name}: {value!r} (must be a real number or an array of them, not a bool)")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise TypeError(f"Invalid {name}: {value!r} (must be a real number or an array of them)") from exc
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"Invalid {name}: dtype {arr.dtype} (must be a real number or an array of them)")
    return arr.astype(_float64, copy=False)


def _unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``.

    If :math:`y = f(\\tilde x)` where :math:`\\tilde x` is :math:`x` broadcast
    (copied) along some axes, every copy received part of the gradient, and
    :math:`\\bar x` is their sum.
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = _sum_reduce(g, axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = _sum_reduce(g, axis=stretched, keepdims=True)
    return g


def _expand(g, shape):
    """A new array of ``shape`` holding ``g`` copied along the broadcast axes."""
    out = np.empty(shape)
    out[...] = g
    return out


def _accumulate(t, g):
    """``t.grad += g`` without ever writing into an array another node may share."""
    if type(g) is not _ndarray:  # 0-d arithmetic returns numpy scalars
        g = np.asarray(g, dtype=_float64)
    if t.grad is None:
        t.grad = g
    else:
        t.grad = t.grad + g


def _node(data, parents, op, backward):
    """A non-leaf Tensor (no input checks: ``data`` comes from a numpy operation)."""
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is _ndarray else np.asarray(data, dtype=_float64)
    out.grad = None
    out.label = ""
    out.op = op
    out.requires_grad = backward is not None
    out._parents = parents
    out._backward = backward
    return out


class Tensor:
    """A node of a computation graph: a float64 array and, after ``backward()``, its gradient.

    Parameters
    ----------
    data : float, int, array_like or ndarray
        The value. Converted to a float64 ndarray; a float64 ndarray is used as
        is (no copy, like ``torch.from_numpy``), so in-place changes to it are
        seen by the Tensor. A number gives a 0-d Tensor (a scalar).
    label : str, default ""
        A name for drawing graphs (:func:`gdlib.plotting.draw_graph`).
    requires_grad : bool, default True
        ``False`` marks a constant input (e.g. a batch of data): no gradient
        is computed for it, which saves work. Results of operations require a
        gradient when any operand does.

    Attributes
    ----------
    data : ndarray of float64
        The value (0-d for a scalar).
    grad : ndarray or None
        :math:`\\partial \\mathcal L/\\partial\\,\\mathrm{data}` after ``L.backward()``,
        of ``data``'s shape; ``None`` before. A leaf (a Tensor you created)
        **accumulates** over several ``backward()`` calls, as in PyTorch; set
        ``t.grad = None`` to start again. Inner nodes keep the gradient of the
        latest ``backward()`` (useful for drawing the graph). To save copies,
        a gradient array may be shared by several nodes (``+`` hands the same
        array to both operands): treat ``grad`` as read-only, and copy it
        before changing it in place.
    op : str
        The operation that produced this node (``""`` for a leaf), e.g.
        ``"+"``, ``"@"``, ``"relu"``, ``"sum"``.
    label : str
    requires_grad : bool
    parents : tuple of Tensor
        The Tensor operands of ``op`` (constants are not nodes).

    Raises
    ------
    TypeError
        For non-numeric data (strings, objects, complex, bools).

    Notes
    -----
    **Backward rules.** For :math:`y = f(a, b)` and an upstream gradient
    :math:`\\bar y = \\partial \\mathcal L/\\partial y` (same shape as :math:`y`), each
    node adds to its operands' gradients (:math:`\\odot` is the elementwise
    product, sums over broadcast axes are implied):

    =====================  ===========================================================
    operation              contributions
    =====================  ===========================================================
    :math:`a + b`          :math:`\\bar a \\mathrel{+}= \\bar y,\\ \\bar b \\mathrel{+}= \\bar y`
    :math:`a - b`          :math:`\\bar a \\mathrel{+}= \\bar y,\\ \\bar b \\mathrel{+}= -\\bar y`
    :math:`a \\odot b`     :math:`\\bar a \\mathrel{+}= \\bar y \\odot b,\\ \\bar b \\mathrel{+}= \\bar y \\odot a`
    :math:`a / b`          :math:`\\bar a \\mathrel{+}= \\bar y / b,\\ \\bar b \\mathrel{+}= -\\bar y \\odot a / b^2`
    :math:`A B` (``@``)    :math:`\\bar A \\mathrel{+}= \\bar Y B^\\top,\\ \\bar B \\mathrel{+}= A^\\top \\bar Y`
    :math:`a^p`            :math:`\\bar a \\mathrel{+}= p\\,a^{p-1} \\odot \\bar y`
    :math:`\\max(0, a)`    :math:`\\bar a \\mathrel{+}= \\mathbb 1[a > 0] \\odot \\bar y`
    :math:`\\tanh a`       :math:`\\bar a \\mathrel{+}= (1 - y^2) \\odot \\bar y`
    ``sigmoid(a)``         :math:`\\bar a \\mathrel{+}= y (1 - y) \\odot \\bar y`
    :math:`e^a`            :math:`\\bar a \\mathrel{+}= y \\odot \\bar y`
    :math:`\\log a`        :math:`\\bar a \\mathrel{+}= \\bar y / a`
    :math:`\\sum_i a_i`    :math:`\\bar a_i \\mathrel{+}= \\bar y` (copied along the summed axes)
    :math:`\\max_i a_i`    :math:`\\bar y` to the maximal entries, split equally among ties
    ``a[idx]``             :math:`\\bar y` scattered (added) back into ``idx``
    =====================  ===========================================================

    **Broadcasting.** If :math:`a` of shape ``(3,)`` is added to :math:`b`
    of shape ``(2, 3)``, :math:`a` was used twice, once per row, so
    :math:`\\bar a` is :math:`\\bar y` summed over axis 0. In general the
    gradient is summed over the axes that broadcasting added or stretched.

    **Accumulation.** A node used twice (``a * a + a``) receives the sum of
    both contributions (the multivariate chain rule sums over all paths):
    :math:`\\partial(a^2 + a)/\\partial a = 2a + 1`.

    **Order.** ``backward()`` sorts the graph topologically with an explicit
    stack (no recursion, so a chain of 100,000 operations works) and visits
    parents in operand order, so the order, and every floating-point sum, is
    the same on every run.

    Examples
    --------
    The circuit :math:`f = (x + y) z` of CS231n's notes, at :math:`x=-2`,
    :math:`y=5`, :math:`z=-4`: :math:`q = x + y = 3`, :math:`f = qz = -12`;
    backward, :math:`\\partial f/\\partial z = q = 3`,
    :math:`\\partial f/\\partial q = z = -4`, which the ``+`` gate passes
    unchanged to both :math:`x` and :math:`y`:

    >>> x, y, z = Tensor(-2.0), Tensor(5.0), Tensor(-4.0)
    >>> q = x + y
    >>> f = q * z
    >>> f.backward()
    >>> float(q.grad), float(x.grad), float(y.grad), float(z.grad)
    (-4.0, -4.0, -4.0, 3.0)

    Arrays, broadcasting and a matrix product:

    >>> W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> b = Tensor(np.array([0.5, -0.5]))
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> loss = (X @ W + b).relu().sum()
    >>> loss.backward()
    >>> W.grad.tolist(), b.grad.tolist()
    ([[2.0, 2.0], [2.0, 2.0]], [3.0, 3.0])

    A node used twice accumulates, :math:`d(a^2 + a)/da = 2a + 1`:

    >>> a = Tensor(3.0)
    >>> (a * a + a).backward()
    >>> float(a.grad)
    7.0
    """

    __slots__ = ("data", "grad", "label", "op", "requires_grad", "_parents", "_backward", "__weakref__")
    # ndarray (op) Tensor must call Tensor's reflected method, not broadcast the Tensor as an object.
    __array_ufunc__ = None

    def __init__(self, data, label="", requires_grad=True):
        self.data = _as_float_array(data, "data")
        self.grad = None
        if not isinstance(label, str):
            raise TypeError(f"Invalid label: {label!r} (must be a str)")
        self.label = label
        self.op = ""
        self.requires_grad = check_bool(requires_grad, "requires_grad")
        self._parents = ()
        self._backward = None

    # ------------------------------------------------------------------ info
    @property
    def shape(self):
        """Shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self):
        """Number of dimensions of ``data``."""
        return self.data.ndim

    @property
    def size(self):
        """Number of elements of ``data``."""
        return self.data.size

    @property
    def parents(self):
        """The Tensor operands of the operation that made this node (empty for a leaf)."""
        return self._parents

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __float__(self):
        return float(self.data)

    def item(self):
        """The value of a one-element Tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a Tensor with one element, got shape {self.data.shape}")
        return float(self.data.reshape(()))

    def __repr__(self):
        head = f"Tensor({np.array2string(self.data, precision=4, threshold=8, edgeitems=2)}"
        if self.op:
            head += f", op={self.op!r}"
        if self.label:
            head += f", label={self.label!r}"
        return head + ")"

    # ------------------------------------------------------------------ binary operations
    def _other(self, other, op):
        """``other`` as an operand: a Tensor stays, a number or array becomes a float64 array."""
        if isinstance(other, Tensor):
            return other
        try:
            return _as_float_array(other, "operand")
        except TypeError:
            raise TypeError(
                f"unsupported operand for {op!r}: Tensor and {type(other).__name__} {other!r} "
                "(must be a Tensor, a real number or an array of real numbers)"
            ) from None

    def _binary(self, other, op, forward, grads, reverse=False):
        """Build the node ``forward(a, b)`` with ``a, b = self, other`` (swapped when ``reverse``).

        ``grads(g, a_data, b_data, out_data, need_a, need_b)`` returns the two
        contributions (unreduced, ``None`` where not needed).
        """
        other = self._other(other, op)
        a, b = (other, self) if reverse else (self, other)
        ad = a.data if isinstance(a, Tensor) else a
        bd = b.data if isinstance(b, Tensor) else b
        try:
            data = forward(ad, bd)
        except ValueError:
            raise ValueError(
                f"Shapes {np.shape(ad)} and {np.shape(bd)} cannot be broadcast together for {op!r}"
            ) from None
        ta = a if isinstance(a, Tensor) and a.requires_grad else None
        tb = b if isinstance(b, Tensor) and b.requires_grad else None
        parents = tuple(t for t in (a, b) if isinstance(t, Tensor))
        if ta is None and tb is None:
            return _node(data, parents, op, None)

        def backward(g):
            ga, gb = grads(g, ad, bd, data, ta is not None, tb is not None)
            if ta is not None:
                _accumulate(ta, _unbroadcast(ga, ad.shape))
            if tb is not None:
                _accumulate(tb, _unbroadcast(gb, bd.shape))

        return _node(data, parents, op, backward)

    def __add__(self, other):
        return self._binary(other, "+", np.add, _add_grads)

    def __radd__(self, other):
        return self._binary(other, "+", np.add, _add_grads, reverse=True)

    def __sub__(self, other):
        return self._binary(other, "-", np.subtract, _sub_grads)

    def __rsub__(self, other):
        return self._binary(other, "-", np.subtract, _sub_grads, reverse=True)

    def __mul__(self, other):
        return self._binary(other, "*", np.multiply, _mul_grads)

    def __rmul__(self, other):
        return self._binary(other, "*", np.multiply, _mul_grads, reverse=True)

    def __truediv__(self, other):
        return self._binary(other, "/", np.true_divide, _div_grads)

    def __rtruediv__(self, other):
        return self._binary(other, "/", np.true_divide, _div_grads, reverse=True)

    def __matmul__(self, other):
        return _matmul(self, self._other(other, "@"))

    def __rmatmul__(self, other):
        return _matmul(self._other(other, "@"), self)

    def __neg__(self):
        def backward(g):
            _accumulate(self, -g)

        return _node(-self.data, (self,), "neg", backward if self.requires_grad else None)

    def __pow__(self, p):
        """``self ** p`` for a real number ``p`` (not a Tensor)."""
        if isinstance(p, Tensor) or isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
            raise TypeError(f"Invalid exponent: {p!r} (Tensor ** p needs a real number p)")
        p = float(p)
        x = self.data
        data = x**p

        def backward(g):
            if p == 0.0:  # x**0 = 1 is constant (p * x**-1 would give nan at x = 0)
                _accumulate(self, np.zeros(x.shape))
            else:
                _accumulate(self, g * (p * x ** (p - 1.0)))

        return _node(data, (self,), f"**{p:g}", backward if self.requires_grad else None)

    def __rpow__(self, base):
        raise TypeError(f"Invalid exponent: a Tensor in {base!r} ** Tensor (only Tensor ** number is supported)")

    # ------------------------------------------------------------------ elementwise functions
    def _unary(self, data, op, local_grad):
        """Node for an elementwise function with derivative ``local_grad()`` (computed lazily)."""
        if not self.requires_grad:
            return _node(data, (self,), op, None)

        def backward(g):
            _accumulate(self, g * local_grad())

        return _node(data, (self,), op, backward)

    def relu(self):
        """:math:`\\max(0, x)`; derivative :math:`\\mathbb 1[x > 0]` (0 at the kink :math:`x = 0`).

        The kink's 0 is ``torch.relu``'s choice too.

        Examples
        --------
        >>> x = Tensor(np.array([-1.0, 0.0, 2.0]))
        >>> y = x.relu()
        >>> y.sum().backward()
        >>> y.data.tolist(), x.grad.tolist()
        ([0.0, 0.0, 2.0], [0.0, 0.0, 1.0])
        """
        x = self.data
        return self._unary(np.maximum(x, 0.0), "relu", lambda: x > 0)

    def tanh(self):
        """:math:`\\tanh x`; derivative :math:`1 - \\tanh^2 x`.

        Examples
        --------
        >>> x = Tensor(np.array([0.0, 1000.0]))
        >>> y = x.tanh()
        >>> y.sum().backward()
        >>> y.data.tolist(), x.grad.tolist()
        ([0.0, 1.0], [1.0, 0.0])
        """
        y = np.tanh(self.data)
        return self._unary(y, "tanh", lambda: 1.0 - y * y)

    def sigmoid(self):
        """:math:`\\operatorname{sigmoid}(x) = 1/(1 + e^{-x})`, computed without overflow.

        Its derivative is :math:`\\operatorname{sigmoid}(x)\\,(1 - \\operatorname{sigmoid}(x))`.

        Notes
        -----
        ``exp`` only ever sees :math:`-|x| \\le 0`: for :math:`x \\ge 0`,
        :math:`1/(1 + e^{-|x|})`; for :math:`x < 0` the equal
        :math:`e^{-|x|}/(1 + e^{-|x|})`. So :math:`x = \\pm 1000` gives 1 and 0 with
        no overflow warning (the naive formula overflows ``exp(1000)`` at
        :math:`x = -1000`), like ``torch.sigmoid`` and ``scipy.special.expit``.

        Examples
        --------
        >>> x = Tensor(np.array([-1000.0, 0.0, 1000.0]))
        >>> y = x.sigmoid()
        >>> y.sum().backward()
        >>> y.data.tolist(), x.grad.tolist()
        ([0.0, 0.5, 1.0], [0.0, 0.25, 0.0])
        """
        y = _sigmoid(self.data)
        return self._unary(y, "sigmoid", lambda: y * (1.0 - y))

    def exp(self):
        """:math:`e^x`; derivative :math:`e^x` (the output itself).

        Examples
        --------
        >>> x = Tensor(np.array([0.0, 1.0]))
        >>> y = x.exp()
        >>> (y * 2.0).sum().backward()
        >>> x.grad.round(6).tolist()
        [2.0, 5.436564]
        """
        y = np.exp(self.data)
        return self._unary(y, "exp", lambda: y)

    def log(self):
        """Natural logarithm; derivative :math:`1/x`.

        Warns
        -----
        LogDomainWarning
            Once per call when some entries are :math:`\\le 0` (the result has
            ``-inf``/``nan`` there, and the gradient ``inf``/``nan``).

        Examples
        --------
        >>> x = Tensor(np.array([1.0, np.e]))
        >>> y = x.log()
        >>> y.sum().backward()
        >>> y.data.round(12).tolist(), x.grad.round(12).tolist()
        ([0.0, 1.0], [1.0, 0.367879441171])
        """
        x = self.data
        bad = x <= 0
        if bad.any():
            warnings.warn(
                f"log of {int(bad.sum())} non-positive value(s) (smallest {x.min()!r}) in a Tensor of shape "
                f"{x.shape}: the result has -inf/nan there and its gradient will be inf/nan",
                LogDomainWarning,
                stacklevel=2,
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log(x)

            def local_grad():
                with np.errstate(divide="ignore", invalid="ignore"):
                    return 1.0 / x
        else:
            y = np.log(x)

            def local_grad():
                return 1.0 / x

        return self._unary(y, "log", local_grad)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False):
        """Sum over ``axis`` (an int, a tuple of ints or ``None`` for all); the gradient is copied back along it.

        Parameters
        ----------
        axis : None, int or tuple of int, default None
            The axes to sum over (negative ones count from the end); ``None``: all.
        keepdims : bool, default False
            Keep the summed axes with length 1 (numpy's and torch's ``keepdim``).

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError, TypeError
            For an axis out of range, repeated, or not an int.

        Examples
        --------
        >>> x = Tensor(np.arange(6.0).reshape(2, 3))
        >>> s = x.sum(axis=0)
        >>> s.data.tolist()
        [3.0, 5.0, 7.0]
        >>> (s * np.array([1.0, 2.0, 3.0])).sum().backward()
        >>> x.grad.tolist()
        [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
        """
        keepdims = check_bool(keepdims, "keepdims")
        return self._divided_sum(_normalize_axis(axis, self.data.ndim), keepdims, 1, "sum")

    def _divided_sum(self, axes, keepdims, count, op):
        """The sum over ``axes`` divided by ``count``; the gradient is ``1/count`` broadcast back (sum, mean)."""
        x = self.data
        data = _sum_reduce(x, axis=axes, keepdims=keepdims)
        if count != 1:
            data = data / count
        shape = x.shape
        kept_shape = _kept_shape(shape, axes)

        def backward(g):
            if not keepdims:
                g = g.reshape(kept_shape)
            _accumulate(self, _expand(g / count if count != 1 else g, shape))

        return _node(data, (self,), op, backward if self.requires_grad else None)

    def mean(self, axis=None, keepdims=False):
        """Mean over ``axis``: the sum divided by the number of entries summed.

        Parameters
        ----------
        axis : None, int or tuple of int, default None
        keepdims : bool, default False
            As in :meth:`sum`.

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError
            For a bad axis, or a mean over no entries.

        Examples
        --------
        >>> x = Tensor(np.array([[1.0, 2.0], [3.0, 6.0]]))
        >>> m = x.mean(axis=1)
        >>> m.sum().backward()
        >>> m.data.tolist(), x.grad.tolist()
        ([1.5, 4.5], [[0.5, 0.5], [0.5, 0.5]])
        """
        x = self.data
        keepdims = check_bool(keepdims, "keepdims")
        axes = _normalize_axis(axis, x.ndim)
        count = x.size if axes is None else int(np.prod([x.shape[i] for i in axes]))
        if count == 0:
            raise ValueError(f"mean over an empty selection (shape {x.shape}, axis={axis!r})")
        return self._divided_sum(axes, keepdims, count, "mean")

    def max(self, axis=None, keepdims=False):
        """Maximum over ``axis``; the gradient goes to the maximal entries (split equally among ties).

        Parameters
        ----------
        axis : None, int or tuple of int, default None
        keepdims : bool, default False
            As in :meth:`sum`.

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError
            For a bad axis or an empty Tensor.

        Notes
        -----
        The split among ties is ``torch.amax``'s rule; ``torch.max(x, dim)``
        instead gives the whole gradient to the one index it returns. Either is a
        valid subgradient: :math:`\\max` is not differentiable at a tie.

        Examples
        --------
        >>> x = Tensor(np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]]))
        >>> m = x.max(axis=1)
        >>> m.sum().backward()
        >>> m.data.tolist(), x.grad.tolist()
        ([5.0, 7.0], [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
        """
        x = self.data
        if x.size == 0:
            raise ValueError(f"max of an empty Tensor (shape {x.shape})")
        keepdims = check_bool(keepdims, "keepdims")
        axes = _normalize_axis(axis, x.ndim)
        kept = _max_reduce(x, axis=axes, keepdims=True)
        data = kept if keepdims else (np.squeeze(kept, axis=axes) if axes is not None else kept.reshape(()))

        def backward(g):
            if not keepdims:
                g = g.reshape(kept.shape)
            mask = x == kept
            share = mask / mask.sum(axis=axes, keepdims=True)
            _accumulate(self, share * g)

        return _node(data, (self,), "max", backward if self.requires_grad else None)

    # ------------------------------------------------------------------ shape
    def __getitem__(self, idx):
        """``x[idx]`` with any numpy index; the gradient is scattered back (repeated indices add up).

        Examples
        --------
        >>> x = Tensor(np.array([10.0, 20.0, 30.0]))
        >>> x[np.array([0, 0, 2])].sum().backward()
        >>> x.grad.tolist()
        [2.0, 0.0, 1.0]
        >>> m = Tensor(np.ones((3, 2)))
        >>> m[(0, 0, 1), :].sum().backward()     # a tuple of positions inside the index repeats row 0
        >>> m.grad.tolist()
        [[2.0, 2.0], [1.0, 1.0], [0.0, 0.0]]
        """
        if isinstance(idx, Tensor):
            raise TypeError("Invalid index: a Tensor (must be ints, slices or integer/boolean arrays: use its .data)")
        x = self.data
        try:
            data = x[idx]
        except IndexError as exc:   # keep numpy's reason, say which argument it is about
            raise IndexError(f"Invalid index: {idx!r} for a Tensor of shape {x.shape} ({exc})") from None
        advanced = _is_advanced_index(idx)

        def backward(g):
            grad = np.zeros(x.shape)
            if advanced:
                np.add.at(grad, idx, g)
            else:
                grad[idx] = g
            _accumulate(self, grad)

        return _node(data, (self,), "[]", backward if self.requires_grad else None)

    def reshape(self, *shape):
        """The same entries in a new shape (``x.reshape(2, 3)`` or ``x.reshape((2, 3))``).

        Parameters
        ----------
        *shape : int or a tuple of int
            The new shape; one entry may be ``-1`` (inferred), as in numpy.

        Returns
        -------
        Tensor
            Its gradient is reshaped back to this Tensor's shape.

        Raises
        ------
        ValueError
            When the number of elements does not match (naming both shapes).

        Examples
        --------
        >>> x = Tensor(np.arange(6.0))
        >>> y = x.reshape(2, 3)
        >>> (y * np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        >>> y.shape, x.grad.tolist()
        ((2, 3), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if not all(isinstance(n, (numbers.Integral, np.integer)) and not isinstance(n, (bool, np.bool_))
                   for n in shape):
            raise TypeError(f"Invalid shape: {shape!r} (must be ints, one of them may be -1)")
        x = self.data
        try:
            data = x.reshape(shape)
        except ValueError:
            raise ValueError(f"Invalid shape: {shape} for a Tensor of shape {x.shape} (must hold its "
                             f"{x.size} entries)") from None

        def backward(g):
            _accumulate(self, np.reshape(g, x.shape))

        return _node(data, (self,), "reshape", backward if self.requires_grad else None)

    @property
    def T(self):
        """Transpose (axes reversed); the gradient is transposed back."""

        def backward(g):
            _accumulate(self, np.transpose(g))

        return _node(self.data.T, (self,), "T", backward if self.requires_grad else None)

    # ------------------------------------------------------------------ backward pass
    def backward(self, grad=None):
        """Compute :math:`\\partial\\,\\mathrm{self}/\\partial t` for every Tensor ``t`` this one depends on.

        Parameters
        ----------
        grad : array_like, optional
            The seed :math:`\\bar y`, of this Tensor's shape. Needed when the
            Tensor has more than one element: ``y.backward(v)`` computes the
            vector-Jacobian product :math:`v^\\top \\partial y/\\partial t`
            (the gradient of :math:`\\sum v \\odot y`). Default: 1 for a
            one-element Tensor.

        Raises
        ------
        ValueError
            For a Tensor of several elements without ``grad``, or a ``grad``
            of another shape.

        Notes
        -----
        Nodes are visited in reverse topological order (found with an
        explicit stack), each node's backward function adding its parents'
        shares. Leaves accumulate across calls; inner nodes are reset first,
        so calling ``backward()`` twice on one graph doubles the leaves'
        gradients (as in PyTorch) rather than counting the first pass twice.

        Examples
        --------
        >>> x = Tensor(np.array([1.0, 2.0]))
        >>> y = x * x
        >>> y.backward()
        Traceback (most recent call last):
        ...
        ValueError: backward() on a Tensor of shape (2,) needs a seed gradient: call y.backward(grad) with grad of shape (2,), or reduce y to a scalar first (e.g. y.sum())
        >>> y.backward(np.array([1.0, 0.0]))
        >>> x.grad.tolist()
        [2.0, 0.0]
        """
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on a Tensor of shape {self.data.shape} needs a seed gradient: call "
                    f"y.backward(grad) with grad of shape {self.data.shape}, or reduce y to a scalar first "
                    "(e.g. y.sum())"
                )
            seed = np.array(1.0) if self.data.ndim == 0 else np.ones(self.data.shape)
        else:
            seed = np.array(_as_float_array(grad, "grad"), dtype=_float64)  # a copy: never alias the caller's
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"Invalid grad: shape {seed.shape} (must equal the Tensor's shape {self.data.shape})"
                )
        order = _topological_order(self)
        for node in order:
            if node._backward is not None:
                node.grad = None
        _accumulate(self, seed)
        for node in reversed(order):
            fn = node._backward
            if fn is not None and node.grad is not None:
                fn(node.grad)

    def zero_grad(self):
        """Forget this Tensor's gradient (``grad = None``)."""
        self.grad = None


# ---------------------------------------------------------------------------- helpers of the ops
def _sigmoid(x):
    """:math:`1/(1 + e^{-x})` on an array with no overflow: ``exp`` only ever sees :math:`-|x| \\le 0`.

    For :math:`x \\ge 0` it is :math:`1/(1 + e^{-|x|})`, for :math:`x < 0` the equal
    :math:`e^{-|x|}/(1 + e^{-|x|})` (multiply through by :math:`e^{x}`).
    """
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _add_grads(g, a, b, out, need_a, need_b):
    return g, g


def _sub_grads(g, a, b, out, need_a, need_b):
    return g, (-g if need_b else None)


def _mul_grads(g, a, b, out, need_a, need_b):
    return (g * b if need_a else None), (g * a if need_b else None)


def _div_grads(g, a, b, out, need_a, need_b):
    ga = g / b if need_a else None
    gb = -g * out / b if need_b else None  # -g a / b^2 = -g (a/b) / b
    return ga, gb


def _matmul(a, b):
    """``a @ b`` with at least one Tensor operand (numpy's rules for 1-D and stacked matrices)."""
    ad = a.data if isinstance(a, Tensor) else a
    bd = b.data if isinstance(b, Tensor) else b
    if ad.ndim == 0 or bd.ndim == 0:
        raise ValueError(f"Invalid operands for '@': shapes {ad.shape} and {bd.shape} (use * for scalars)")
    try:
        data = ad @ bd
    except ValueError:
        k_a = ad.shape[-1]
        k_b = bd.shape[-2] if bd.ndim > 1 else bd.shape[0]
        raise ValueError(
            f"Shapes {ad.shape} and {bd.shape} do not match for '@' "
            f"(the last axis of the left operand, {k_a}, must equal "
            f"{'the second-to-last' if bd.ndim > 1 else 'the length'} of the right one, {k_b})"
        ) from None
    ta = a if isinstance(a, Tensor) and a.requires_grad else None
    tb = b if isinstance(b, Tensor) and b.requires_grad else None
    parents = tuple(t for t in (a, b) if isinstance(t, Tensor))
    if ta is None and tb is None:
        return _node(data, parents, "@", None)
    if ad.ndim == 2 and bd.ndim == 2:  # the common case, no reshaping

        def backward(g):
            if ta is not None:
                _accumulate(ta, g @ bd.T)
            if tb is not None:
                _accumulate(tb, ad.T @ g)

    else:
        a2 = ad if ad.ndim > 1 else ad[None, :]
        b2 = bd if bd.ndim > 1 else bd[:, None]

        def backward(g):
            g = np.asarray(g)
            if bd.ndim == 1:  # restore the axes numpy removed: first the right operand's (last) ...
                g = g[..., None]
            if ad.ndim == 1:  # ... then the left one's (second to last)
                g = g[..., None, :]
            if ta is not None:
                ga = _unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape)
                _accumulate(ta, ga.reshape(ad.shape))
            if tb is not None:
                gb = _unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape)
                _accumulate(tb, gb.reshape(bd.shape))

    return _node(data, parents, "@", backward)


def _normalize_axis(axis, ndim):
    """``None`` or a sorted tuple of non-negative axes; ``ValueError`` naming a bad one."""
    if axis is None:
        return None
    def is_int(a):
        return isinstance(a, (numbers.Integral, np.integer)) and not isinstance(a, (bool, np.bool_))

    axes = (axis,) if is_int(axis) else axis
    if not isinstance(axes, (tuple, list)) or not all(is_int(a) for a in axes):
        raise TypeError(f"Invalid axis: {axis!r} (must be None, an int or a tuple of ints)")
    axes = tuple(int(a) for a in axes)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Invalid axis: {axis!r} (out of range for a Tensor with {ndim} dimension(s))")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"Invalid axis: {axis!r} (must not repeat an axis)")
    return tuple(sorted(out))


def _kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` (``None``: all) kept as length 1, as ``keepdims=True`` gives."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _is_advanced_index(idx):
    """True when ``idx`` uses integer/boolean arrays (then repeated positions must add up)."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    # Inside the outer tuple, a tuple is a sequence of positions like a list: x[(0, 0, 1), :]
    # repeats row 0, so its gradient must add up there too.
    return any(isinstance(p, (list, tuple, np.ndarray)) for p in parts)


def _topological_order(root, everything=False):
    """The nodes ``root`` depends on, each after all of its parents; iterative and deterministic.

    A depth-first search with an explicit stack: a node is pushed to be
    *expanded* (its parents pushed, in reverse so the first operand is
    explored first) and, when expanded, pushed once more to be *emitted*
    after all of them. The set
    only answers "seen already?"; the order comes from the operands' order.
    By default only nodes with a backward function are listed (leaves and
    constants pass nothing on); ``everything=True`` lists all (for drawing).
    """
    order = []
    seen = set()
    stack = [(root, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, expanded = pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:  # pushed twice before being expanded: the first expansion did the work
            continue
        seen.add(id(node))  # marked when expanded, not when pushed (a node pushed earlier may be reached again
        push((node, True))  # deeper, and must then be emitted before the node that reached it)
        parents = node._parents
        for i in range(len(parents) - 1, -1, -1):
            p = parents[i]
            if id(p) not in seen and (everything or p._backward is not None):
                push((p, False))
    return order


# ---------------------------------------------------------------------------- fused nodes
def _linear(x, W, b):
    """``x @ W + b`` as one node (what :class:`gdlib.nn.Linear` computes).

    ``x`` of shape ``(N, n_in)``, ``W`` ``(n_in, n_out)``, ``b`` ``(n_out,)``
    (other shapes, e.g. one sample ``x`` of shape ``(n_in,)``, get the composed
    graph ``x @ W + b``).
    Backward: :math:`\\bar x = \\bar Y W^\\top`, :math:`\\bar W = x^\\top \\bar Y`,
    :math:`\\bar b = \\sum_n \\bar Y_n`, the rules of ``@`` and of broadcast
    ``+`` in one function.
    """
    xd, Wd, bd = x.data, W.data, b.data
    if xd.ndim != 2 or Wd.ndim != 2 or bd.shape != Wd.shape[1:]:
        return x @ W + b  # one sample (1-D x) or other shapes: the general composed graph
    if xd.shape[1] != Wd.shape[0]:
        raise ValueError(
            f"Shapes {xd.shape} and {Wd.shape} do not match for x @ W (x must be (N, {Wd.shape[0]}))"
        )
    data = xd @ Wd
    data += bd

    def backward(g):
        if x.requires_grad:
            _accumulate(x, g @ Wd.T)
        if W.requires_grad:
            _accumulate(W, xd.T @ g)
        if b.requires_grad:
            _accumulate(b, _sum_reduce(g, axis=0))

    needed = x.requires_grad or W.requires_grad or b.requires_grad
    return _node(data, (x, W, b), "linear", backward if needed else None)


def _softmax_cross_entropy(scores, y):
    """Mean softmax cross-entropy of ``scores`` (Tensor ``(N, C)``) for valid int labels ``y`` as one node.

    Forward with the shifted log-sum-exp (no overflow); backward
    :math:`\\bar s = \\bar L\\,(p - Y)/N`, :math:`p` the row softmax and
    :math:`Y` the one-hot labels. The caller validates ``y``
    (:func:`gdlib.losses.tensor_softmax_cross_entropy` does).
    """
    s = scores.data
    n = s.shape[0]
    rows = np.arange(n)
    shifted = s - _max_reduce(s, axis=1, keepdims=True)
    e = np.exp(shifted)
    sum_e = _sum_reduce(e, axis=1)
    data = np.asarray(_sum_reduce(np.log(sum_e) - shifted[rows, y]) / n)

    def backward(g):
        p = e / sum_e[:, None]
        p[rows, y] -= 1.0
        p *= g / n
        _accumulate(scores, p)

    return _node(data, (scores,), "softmax_ce", backward if scores.requires_grad else None)


def tensor(data, label="", requires_grad=True):
    """Make a :class:`Tensor` (``tensor(x)`` is ``Tensor(x)``; a Tensor is returned as is).

    Examples
    --------
    >>> t = tensor([1, 2, 3])
    >>> t.data.dtype, t.shape
    (dtype('float64'), (3,))
    >>> tensor(t) is t
    True
    """
    if isinstance(data, Tensor):
        check_bool(requires_grad, "requires_grad")
        return data
    return Tensor(data, label=label, requires_grad=requires_grad)
