"""Small neural networks on top of :mod:`gdlib.autograd`.

Parameters live in plain ``float64`` numpy arrays, which is what every gdlib
optimizer updates **in place** through ``optimizer.step(params, grads)``. A
layer wraps its arrays in fresh :class:`~gdlib.autograd.Tensor` leaves at each
forward call, so the graph always sees the current values, and after
``loss.backward()`` :meth:`Module.grads` collects the gradients of those leaves
in the order of :meth:`Module.parameters`::

    model = MLP([2, 100, 3])
    model.zero_grad()
    loss = tensor_softmax_cross_entropy(model(Tensor(X)), y)
    loss.backward()
    optimizer.step(model.parameters(), model.grads())

Every module also has :meth:`Module.forward_numpy`, the same computation on
plain arrays with no graph (for evaluation: :func:`accuracy`, loss curves).
"""
from __future__ import annotations

import numbers

import numpy as np

from . import losses as _losses
from .autograd import Tensor, _linear, _sigmoid
from ._validation import check_int, check_real_array
from ._validation import rng_from_seed as _rng
from .data import minibatches

__all__ = ["Module", "Linear", "ReLU", "Tanh", "Sigmoid", "Sequential", "MLP", "accuracy", "train"]


def _tensor(x):
    """A Tensor stays as it is; raw data becomes a constant leaf (no gradient is computed for it)."""
    return x if isinstance(x, Tensor) else Tensor(check_real_array(x, "x"), requires_grad=False)


class Module:
    """Base class: a callable on Tensors with parameters, gradients and a numpy path.

    Subclasses implement :meth:`forward` (Tensor in, Tensor out) and
    :meth:`forward_numpy` (ndarray in, ndarray out); layers with parameters
    override :meth:`parameters`, :meth:`grads` and :meth:`zero_grad`.
    """

    def __call__(self, x):
        return self.forward(_tensor(x))

    def forward(self, x):  # pragma: no cover - abstract
        """The module on a Tensor (``module(x)`` calls it, wrapping a raw array as a constant).

        Parameters
        ----------
        x : Tensor
            A batch, shape ``(N, n_features)`` (or one sample ``(n_features,)``).

        Returns
        -------
        Tensor
            A graph node; ``backward()`` from a loss reaches the parameters.
        """
        raise NotImplementedError

    def forward_numpy(self, x):  # pragma: no cover - abstract
        """The same computation on plain arrays, with no graph (for evaluation).

        Parameters
        ----------
        x : array_like
            As for :meth:`forward`.

        Returns
        -------
        numpy.ndarray
            Equal to ``self(x).data``.
        """
        raise NotImplementedError

    def parameters(self):
        """The numpy arrays an optimizer updates in place (empty here)."""
        return []

    def grads(self):
        """Gradients matching :meth:`parameters` after ``backward()`` (empty here)."""
        return []

    def zero_grad(self):
        """Forget the gradients of earlier forward passes (nothing to do here)."""


class Linear(Module):
    """Affine layer :math:`x \\mapsto xW + b`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes.
    init : {"he", "xavier"} or float, default "he"
        Weight initialisation. ``"he"``: :math:`W_{ij} \\sim \\mathcal N(0, 2/n_{in})`;
        ``"xavier"`` (Glorot normal): :math:`\\mathcal N(0, 2/(n_{in}+n_{out}))`;
        a positive float :math:`\\sigma`: :math:`\\mathcal N(0, \\sigma^2)` (CS231n's
        ``0.01 * randn``). Biases start at 0.
    seed : int or numpy.random.Generator, default 0

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)

    Raises
    ------
    TypeError, ValueError
        For non-integer or non-positive sizes, an unknown ``init`` or a
        non-positive scale.

    Notes
    -----
    Why these variances. For :math:`h = xW` with independent zero-mean
    entries, :math:`\\mathrm{Var}(h_l) = n_{in}\\,\\mathrm{Var}(W)\\,E[x^2]`. He
    et al. choose :math:`\\mathrm{Var}(W) = 2/n_{in}` so that through a ReLU (which
    halves :math:`E[x^2]`) the signal's scale is kept from layer to layer [1]_.
    Glorot and Bengio compromise between keeping the forward variance
    (:math:`1/n_{in}`) and the backward one (:math:`1/n_{out}`) for tanh-like units:
    :math:`2/(n_{in}+n_{out})`; we use their *normal* variant (their paper's
    uniform variant :math:`\\mathcal U(\\pm\\sqrt{6/(n_{in}+n_{out})})` has the
    same variance) [2]_.

    In PyTorch terms, ``"he"`` draws what ``torch.nn.init.kaiming_normal_(w,
    nonlinearity="relu")`` draws (fan-in mode) and ``"xavier"`` what
    ``torch.nn.init.xavier_normal_`` draws. ``W`` here is ``(n_in, n_out)``, the
    transpose of torch's ``(out_features, in_features)`` weight, because the course
    writes ``x @ W``. ``torch.nn.Linear``'s own default (uniform weights and a
    random bias, both :math:`\\mathcal U(\\pm 1/\\sqrt{n_{in}})`) is not offered:
    biases start at 0 here, as in CS231n.

    The forward pass is one graph node, ``linear``, computing ``x @ W + b``
    with the backward rules of ``@`` and broadcast ``+`` fused (fewer Python
    calls; the tests check it equals the composed graph). Input data given as
    an array (not a Tensor) gets no gradient.

    A forward pass wraps ``W`` and ``b`` in new Tensor leaves, so in-place
    updates by an optimizer are always seen. Leaves from several forward
    passes since the last :meth:`zero_grad` have their gradients **summed** by
    :meth:`grads` (as gradients accumulate in PyTorch); call
    :meth:`zero_grad` before each step. With a single forward pass the
    returned arrays are the leaves' own ``.grad`` arrays (no copy).

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers:
       surpassing human-level performance on ImageNet classification", ICCV 2015.
    .. [2] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
       feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> layer = Linear(3, 2, seed=0)
    >>> layer.W.shape, layer.b.shape
    ((3, 2), (2,))
    >>> out = layer(np.ones((4, 3)))
    >>> out.data.shape
    (4, 2)
    >>> out.sum().backward()
    >>> [g.tolist() for g in layer.grads()]
    [[[4.0, 4.0], [4.0, 4.0], [4.0, 4.0]], [4.0, 4.0]]
    """

    def __init__(self, n_in, n_out, init="he", seed=0):
        n_in = check_int(n_in, "n_in")
        n_out = check_int(n_out, "n_out")
        if isinstance(init, str):
            if init == "he":
                std = np.sqrt(2.0 / n_in)
            elif init == "xavier":
                std = np.sqrt(2.0 / (n_in + n_out))
            else:
                raise ValueError(f"Invalid init: {init!r} (must be 'he', 'xavier' or a positive float)")
        elif isinstance(init, numbers.Real) and not isinstance(init, (bool, np.bool_)):
            if not np.isfinite(init) or init <= 0:
                raise ValueError(f"Invalid init: {init!r} (a scale must be finite and > 0)")
            std = float(init)
        else:
            raise TypeError(f"Invalid init: {init!r} (must be 'he', 'xavier' or a positive float)")
        rng = _rng(seed)
        self.n_in, self.n_out, self.init = n_in, n_out, init
        self.W = std * rng.standard_normal((n_in, n_out))
        self.b = np.zeros(n_out)
        self._leaves = []  # (W_tensor, b_tensor) of each forward pass since zero_grad()

    def _check_input(self, shape):
        if len(shape) not in (1, 2) or shape[-1] != self.n_in:
            raise ValueError(f"Invalid x: shape {shape} ({self!r} takes (N, {self.n_in}) or ({self.n_in},))")

    def forward(self, x):
        x = _tensor(x)
        self._check_input(x.shape)
        W = Tensor(self.W)
        b = Tensor(self.b)
        out = _linear(x, W, b)  # x @ W + b as one fused graph node (same values and gradients)
        self._leaves.append((W, b))  # after the shape checks: a refused call records nothing
        return out

    def forward_numpy(self, x):
        x = check_real_array(x, "x")
        self._check_input(x.shape)
        return x @ self.W + self.b

    def parameters(self):
        return [self.W, self.b]

    def grads(self):
        if len(self._leaves) == 1:  # the usual case: one forward pass per step, no copy needed
            W, b = self._leaves[0]
            if W.grad is not None and b.grad is not None:
                return [W.grad, b.grad]
        dW = np.zeros_like(self.W)
        db = np.zeros_like(self.b)
        seen = False
        for W, b in self._leaves:
            if W.grad is not None:
                dW += W.grad
                seen = True
            if b.grad is not None:
                db += b.grad
                seen = True
        if not seen:
            raise RuntimeError(
                f"{self!r} has no gradient: run a forward pass and loss.backward() "
                "after the last zero_grad() before asking for grads()"
            )
        return [dW, db]

    def zero_grad(self):
        self._leaves = []

    def __repr__(self):
        return f"Linear({self.n_in}, {self.n_out}, init={self.init!r})"


class ReLU(Module):
    """Elementwise :math:`\\max(0, x)`.

    Examples
    --------
    >>> ReLU().forward_numpy(np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def forward(self, x):
        return _tensor(x).relu()

    def forward_numpy(self, x):
        return np.maximum(check_real_array(x, "x"), 0.0)

    def __repr__(self):
        return "ReLU()"


class Tanh(Module):
    """Elementwise :math:`\\tanh x`.

    Examples
    --------
    >>> Tanh().forward_numpy(np.array([0.0])).tolist()
    [0.0]
    """

    def forward(self, x):
        return _tensor(x).tanh()

    def forward_numpy(self, x):
        return np.tanh(check_real_array(x, "x"))

    def __repr__(self):
        return "Tanh()"


class Sigmoid(Module):
    """Elementwise :math:`\\operatorname{sigmoid}(x) = 1 / (1 + e^{-x})`.

    Examples
    --------
    >>> Sigmoid().forward_numpy(np.array([0.0])).tolist()
    [0.5]
    """

    def forward(self, x):
        return _tensor(x).sigmoid()

    def forward_numpy(self, x):
        return _sigmoid(check_real_array(x, "x"))  # the Tensor path's overflow-free formula

    def __repr__(self):
        return "Sigmoid()"


class Sequential(Module):
    """Modules applied one after the other.

    Parameters
    ----------
    *layers : Module
        Each must have ``forward``, ``forward_numpy``, ``parameters``, ``grads``
        and ``zero_grad`` (any :class:`Module` does).

    Raises
    ------
    TypeError
        When a layer is not a :class:`Module`.

    Examples
    --------
    >>> net = Sequential(Linear(2, 4, seed=1), ReLU(), Linear(4, 3, seed=2))
    >>> len(net), [p.shape for p in net.parameters()]
    (3, [(2, 4), (4,), (4, 3), (3,)])
    >>> net.forward_numpy(np.zeros((5, 2))).shape
    (5, 3)
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Invalid layer {i}: {layer!r} (must be a gdlib.nn.Module)")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def forward_numpy(self, x):
        for layer in self.layers:
            x = layer.forward_numpy(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def grads(self):
        return [g for layer in self.layers for g in layer.grads()]

    def zero_grad(self):
        for layer in self.layers:
            layer.zero_grad()

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}({inner})"


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(Sequential):
    """Multilayer perceptron: ``Linear`` layers with an activation between them.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, at least two, e.g. ``[2, 100, 3]``
        for one hidden layer of 100 units. No activation after the last layer
        (it returns scores for a loss).
    activation : {"relu", "tanh", "sigmoid"}, default "relu"
    init : {"he", "xavier"} or float, default "he"
        Passed to every :class:`Linear`.
    seed : int or numpy.random.Generator, default 0
        One generator initialises the layers in order.

    Raises
    ------
    TypeError
        For ``sizes`` that is not a sequence of ints, or an ``activation`` that is
        not a string.
    ValueError
        For fewer than two sizes, a size below 1, or an unknown activation.

    Examples
    --------
    >>> net = MLP([2, 100, 3])
    >>> net
    MLP(Linear(2, 100, init='he'), ReLU(), Linear(100, 3, init='he'))
    >>> sum(p.size for p in net.parameters())
    603
    """

    def __init__(self, sizes, activation="relu", init="he", seed=0):
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(f"Invalid sizes: {sizes!r} (must be a sequence of ints, e.g. [2, 100, 3])") from None
        if len(sizes) < 2:
            raise ValueError(f"Invalid sizes: {sizes!r} (need at least an input and an output size)")
        for n in sizes:
            if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
                raise TypeError(f"Invalid sizes: {sizes!r} (every size must be an int)")
            if n < 1:
                raise ValueError(f"Invalid sizes: {sizes!r} (every size must be >= 1)")
        if not isinstance(activation, str):
            raise TypeError(f"Invalid activation: {activation!r} (must be one of {sorted(_ACTIVATIONS)})")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"Invalid activation: {activation!r} (must be one of {sorted(_ACTIVATIONS)})")
        rng = _rng(seed)
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i > 0:
                layers.append(_ACTIVATIONS[activation]())
            layers.append(Linear(n_in, n_out, init=init, seed=rng))
        super().__init__(*layers)
        self.sizes, self.activation = sizes, activation


def _scores(model, X):
    if hasattr(model, "forward_numpy"):
        return model.forward_numpy(X)
    out = model(X)
    out = out.data if isinstance(out, Tensor) else out
    try:
        scores = np.asarray(out)
    except (TypeError, ValueError):
        scores = np.asarray(None)
    if scores.dtype.kind not in "iuf":
        raise TypeError(f"Invalid model: {model!r} returned {type(out).__name__} (must return scores, an array "
                        "or a Tensor of real numbers)")
    return scores


def _check_model(model, *, trainable=False):
    """Refuse a model that cannot be evaluated (or, with ``trainable``, updated)."""
    needs = ("forward_numpy", "parameters", "grads", "zero_grad") if trainable else ()
    if not (isinstance(model, Module) or (callable(model) and all(hasattr(model, n) for n in needs))):
        what = "a gdlib.nn.Module" if trainable else "a gdlib.nn.Module or a callable X -> scores"
        raise TypeError(f"Invalid model: {model!r} (must be {what})")


def _check_X(model, X):
    """``X`` as a non-empty float ``(N, D)`` array that ``model`` accepts; its output on one row."""
    X = check_real_array(X, "X")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"Invalid X: shape {X.shape} (must be (N, D) with N >= 1)")
    try:
        out = np.asarray(_scores(model, X[:1]))
    except ValueError as exc:   # e.g. a wrong feature count: say that X is the culprit
        raise ValueError(f"Invalid X: shape {X.shape} does not fit {model!r} ({exc})") from None
    if out.ndim != 2 or out.shape[0] != 1:
        raise ValueError(f"Invalid model: {model!r} returns shape {out.shape[1:]} per sample of X "
                         "(must return one row of scores per sample)")
    return X, out.shape


def accuracy(model, X, y):
    """Fraction of samples whose highest score is the correct class.

    Parameters
    ----------
    model : Module
    X : ndarray of shape (N, D)
    y : array_like of int, shape (N,)

    Returns
    -------
    float
        In [0, 1]; ``nan`` when a score is nan (nan in ``X`` or a diverged model: a nan in
        gives a nan out, rather than the argmax of nan scores counting as class 0).

    Raises
    ------
    TypeError
        For a ``model`` that is not callable, or ``X`` that is not real numbers.
    ValueError
        When ``X`` is empty or not 2-D or does not fit the model (its feature count), or
        ``y`` has the wrong length or a label out of range.

    Examples
    --------
    >>> layer = Linear(2, 2, init=1.0)
    >>> layer.W[:] = np.eye(2)
    >>> accuracy(layer, np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]]), [0, 1, 0])
    0.6666666666666666
    >>> accuracy(layer, np.full((2, 2), np.nan), [0, 1])
    nan
    """
    _check_model(model)
    X, out_shape = _check_X(model, X)
    y = _losses._check_labels(y, X.shape[0], out_shape[1])
    scores = np.asarray(_scores(model, X))
    if np.isnan(scores).any():
        return float("nan")
    return float(np.mean(np.argmax(scores, axis=1) == y))


_TRAIN_LOSSES = {
    "softmax": (_losses.tensor_softmax_cross_entropy, _losses.softmax_cross_entropy),
    "svm": (_losses.tensor_svm_loss, _losses.svm_loss),
    "mse": (_losses.tensor_mse_loss, _losses.mse_loss),
}


def train(model, X, y, optimizer, loss="softmax", epochs=10, batch_size=32, seed=0):
    """Minibatch training with any gdlib optimizer.

    Parameters
    ----------
    model : Module
    X : ndarray of shape (N, D)
    y : ndarray
        Labels of shape ``(N,)`` for ``"softmax"`` and ``"svm"``; targets of
        the model's output shape for ``"mse"``.
    optimizer : object with ``step(params, grads)``
        Any :mod:`gdlib.optim` optimizer; it updates ``model.parameters()``
        in place.
    loss : {"softmax", "svm", "mse"}, default "softmax"
    epochs : int, default 10
    batch_size : int, default 32
        The last batch of an epoch may be smaller (see :func:`gdlib.data.minibatches`).
    seed : int or numpy.random.Generator, default 0
        Seeds the shuffling; each epoch gets a new order from one generator.

    Returns
    -------
    history : dict
        ``"loss"``: the loss on the whole of ``X`` after each epoch (list of
        ``epochs`` floats); ``"batch_loss"``: the mean of the minibatch losses
        seen during each epoch (weighted by batch size); ``"accuracy"``:
        training accuracy after each epoch (classification losses only).

    Raises
    ------
    TypeError, ValueError
        For an unknown loss, bad counts, an optimizer without ``step`` or one whose step needs the
        objective (``gd.Newton``, ``gd.LBFGS``: use ``gd.minimize``), a label out
        of range (naming it), targets of another shape than the model's output or
        holding something else than real numbers, an empty ``X``, ``X`` of another
        feature count than the model's, nan or inf in ``X`` or in ``mse`` targets, or a
        learning-rate schedule that fails at any of the ``epochs * n_batches`` steps this
        call will take. All are checked before the first step: a refused call leaves the
        model and the optimizer as they were.

    Notes
    -----
    Each step: ``model.zero_grad()``, forward on the batch, the Tensor loss,
    ``backward()``, ``optimizer.step(model.parameters(), model.grads())``.

    Examples
    --------
    >>> from gdlib.data import blobs
    >>> from gdlib.optim import SGD
    >>> X, y = blobs(n_per_class=50, seed=0)
    >>> model = MLP([2, 16, 3], seed=0)
    >>> hist = train(model, X, y, SGD(learning_rate=0.1), epochs=5, batch_size=16)
    >>> len(hist["loss"]), hist["loss"][-1] < hist["loss"][0], hist["accuracy"][-1] > 0.9
    (5, True, True)
    """
    if not isinstance(loss, str) or loss not in _TRAIN_LOSSES:
        raise ValueError(f"Invalid loss: {loss!r} (must be one of {sorted(_TRAIN_LOSSES)})")
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    if isinstance(optimizer, type) or not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"Invalid optimizer: {optimizer!r} (must be an optimizer object with a step(params, grads) "
                        "method, e.g. gd.SGD(learning_rate=0.1), not the class)")
    if getattr(optimizer, "needs_objective", False):
        raise TypeError(f"Invalid optimizer: {type(optimizer).__name__} needs the objective at every step (a Hessian "
                        "or a line search on f itself), which train's minibatch loop cannot give: use gd.minimize "
                        "on a full-batch objective, or a first-order optimizer such as gd.Adam")
    _check_model(model, trainable=True)
    rng = _rng(seed)
    X, out_shape = _check_X(model, X)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"Invalid X: holds nan or inf at row {int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])} "
                         "(must be finite: one such row would make every parameter nan)")
    tensor_loss, numpy_loss = _TRAIN_LOSSES[loss]
    classify = loss != "mse"
    # Check every label/target now: a bad one met in a later minibatch would be refused only after
    # the optimizer had already changed the model.
    if classify:
        y = _losses._check_labels(y, X.shape[0], out_shape[-1])
    else:
        y = check_real_array(y, "y")
        if y.shape[1:] != out_shape[1:] or y.shape[:1] != X.shape[:1]:
            raise ValueError(
                f"Invalid y: shape {y.shape} (must be {(X.shape[0],) + tuple(out_shape[1:])}, the model's output shape)"
            )
        if not np.all(np.isfinite(y)):
            raise ValueError("Invalid y: holds nan or inf (mse targets must be finite)")
    # Every learning rate this call will use, now: a schedule failing at step k would otherwise be
    # refused after k updates of the model.
    rate_at = getattr(optimizer, "learning_rate_at", None)
    if callable(rate_at):
        start = int(getattr(optimizer, "t", 0))
        n_batches = -(-X.shape[0] // batch_size)
        for k in range(start, start + epochs * n_batches):
            rate_at(k)
    history = {"loss": [], "batch_loss": []}
    if classify:
        history["accuracy"] = []
    for _epoch in range(epochs):
        total = 0.0
        for Xb, yb in minibatches(X, y, batch_size, seed=rng):
            model.zero_grad()
            value = tensor_loss(model(Xb), yb)
            value.backward()
            optimizer.step(model.parameters(), model.grads())
            total += float(value.data) * len(yb)
        history["batch_loss"].append(total / X.shape[0])
        scores = _scores(model, X)
        history["loss"].append(float(numpy_loss(scores, y)[0]))
        if classify:
            history["accuracy"].append(float(np.mean(np.argmax(scores, axis=1) == y)))
    model.zero_grad()
    return history
