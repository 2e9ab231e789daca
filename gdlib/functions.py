r"""Test functions for optimisation: value, analytic gradient and Hessian, known critical points.

Every function is a ``TestFunction``: ``f.value(x)`` (or ``f(x)``), ``f.grad(x)`` and
``f.hessian(x)`` accept one point of shape ``(n,)`` or a batch of shape ``(..., n)``,
so a whole contour grid is ``f.value(np.stack([X, Y], -1))``. Each also knows its
global minimisers (``minima``), other local minima (``local_minima``), saddle points
(``saddles``), the minimum value ``f_min`` (``None`` when unbounded below), a plot
``window`` and a demo starting point ``x0``.

Critical points with no closed form (Himmelblau, DoubleWell, Rosenbrock in 4 to 7
dimensions, Rastrigin's local minima) are located by Newton's method on the analytic
gradient and Hessian when the object is built, to a gradient norm below ``1e-12``.

References
----------
.. [1] M. Jamil and X.-S. Yang, "A literature survey of benchmark functions for global
   optimisation problems", *Int. J. Math. Modelling and Numerical Optimisation* 4(2),
   2013, 150-194. arXiv:1308.4008.
.. [2] S. Surjanovic and D. Bingham, *Virtual Library of Simulation Experiments: Test
   Functions and Datasets*. https://www.sfu.ca/~ssurjano/optimization.html
"""
from __future__ import annotations

import math

import numpy as np

from ._validation import check_int, check_real, check_real_array

__all__ = [
    "TestFunction",
    "Quadratic",
    "Rosenbrock",
    "Beale",
    "Himmelblau",
    "Saddle",
    "MonkeySaddle",
    "Rastrigin",
    "DoubleWell",
    "FUNCTIONS",
    "get_function",
]


# --------------------------------------------------------------------------- helpers

def _newton(grad, hessian, x0, tol=1e-12, max_iter=100):
    """Newton's method on ``grad(x) = 0``; returns the root or ``None`` if it does not converge."""
    x = np.array(x0, dtype=np.float64)
    for _ in range(max_iter):
        g = grad(x)
        if np.linalg.norm(g) < tol:
            return x
        try:
            x = x - np.linalg.solve(hessian(x), g)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(x)):
            return None
    return x if np.linalg.norm(grad(x)) < tol else None


# --------------------------------------------------------------------------- base class
class TestFunction:
    r"""Base class of the course's test functions :math:`f: \mathbb{R}^n \to \mathbb{R}`.

    Subclasses implement ``_value``, ``_grad`` and ``_hessian`` on float arrays of shape
    ``(..., n)``; this class validates input and converts single points.

    Attributes
    ----------
    name : str
        The registry name (``FUNCTIONS[name]`` is the class).
    dim : int
        The dimension :math:`n`.
    minima : list of numpy.ndarray
        Global minimisers (empty when :math:`f` is unbounded below).
    local_minima : list of numpy.ndarray
        Local minimisers that are not global (may be empty).
    saddles : list of numpy.ndarray
        Saddle points (may be empty; see each class for what is listed).
    window : tuple
        ``((xmin, xmax), (ymin, ymax))`` for 2-D plots (of the first two coordinates).
    x0 : numpy.ndarray
        A starting point that makes a good demo.
    f_min : float or None
        The global minimum value, ``None`` when unbounded below.

    Notes
    -----
    ``value(x)`` returns a Python ``float`` for one point of shape ``(n,)`` and an
    array of shape ``(...)`` for a batch ``(..., n)``; ``grad`` returns the shape of
    its input; ``hessian`` returns ``(n, n)`` or ``(..., n, n)``. The list attributes
    return fresh copies, so modifying them never changes the function.

    Examples
    --------
    >>> import numpy as np
    >>> f = Himmelblau()
    >>> f(np.array([3.0, 2.0]))
    0.0
    >>> f.value(np.zeros((4, 5, 2))).shape          # a batch of 4 x 5 points
    (4, 5)
    """

    __test__ = False  # not a pytest test class despite its name
    name: str = "test_function"

    def __init__(self, dim: int):
        self.dim = dim = check_int(dim, "dim")
        self._minima: list = []
        self._local_minima: list = []
        self._saddles: list = []
        self._x0 = np.zeros(dim)
        self._window = ((-2.0, 2.0), (-2.0, 2.0))
        self.f_min: float | None = None

    # --- public attributes (fresh copies) ------------------------------------------
    @property
    def minima(self) -> list:
        return [p.copy() for p in self._minima]

    @property
    def local_minima(self) -> list:
        return [p.copy() for p in self._local_minima]

    @property
    def saddles(self) -> list:
        return [p.copy() for p in self._saddles]

    @property
    def x0(self) -> np.ndarray:
        return self._x0.copy()

    @property
    def window(self) -> tuple:
        return self._window

    # --- evaluation ----------------------------------------------------------------
    def _check_x(self, x):
        try:
            arr = np.asarray(x)
        except Exception as exc:  # pragma: no cover
            raise TypeError(f"Invalid x: {x!r} (must be array-like of real numbers)") from exc
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"Invalid x: array of dtype {arr.dtype} (must hold real numbers)")
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(
                f"Invalid x: shape {arr.shape} (must be ({self.dim},) or a batch (..., {self.dim}) "
                f"for {self.name} in {self.dim} dimensions)"
            )
        return arr.astype(np.float64, copy=False)

    def value(self, x):
        """Value at one point ``(n,)`` (a float) or a batch ``(..., n)`` (an array).

        Parameters
        ----------
        x : array_like of real numbers, shape ``(n,)`` or ``(..., n)``
            One point, or a batch of points along the last axis (a contour grid is
            ``np.stack([X, Y], -1)``). Integers are converted to float64.

        Returns
        -------
        float or numpy.ndarray
            A float for one point, an array of shape ``x.shape[:-1]`` for a batch.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If the last axis of ``x`` is not ``dim`` long.

        Examples
        --------
        >>> import numpy as np
        >>> f = Quadratic(condition_number=4.0)
        >>> f.value(np.array([1.0, 1.0]))
        2.5
        >>> f.value(np.array([[1.0, 0.0], [0.0, 1.0]])).tolist()
        [0.5, 2.0]
        """
        arr = self._check_x(x)
        out = self._value(arr)
        return float(out) if arr.ndim == 1 else np.asarray(out, dtype=np.float64)

    __call__ = value

    def grad(self, x) -> np.ndarray:
        """Analytic gradient, same shape as ``x`` (``(n,)`` or ``(..., n)``).

        Parameters
        ----------
        x : array_like of real numbers, shape ``(n,)`` or ``(..., n)``

        Returns
        -------
        numpy.ndarray
            float64, the shape of ``x``: :math:`\\nabla f` at each point.

        Raises
        ------
        TypeError, ValueError
            As :meth:`value`.

        Examples
        --------
        >>> import numpy as np
        >>> Quadratic(condition_number=4.0).grad(np.array([1.0, 1.0])).tolist()
        [1.0, 4.0]
        """
        arr = self._check_x(x)
        return np.asarray(self._grad(arr), dtype=np.float64)

    def hessian(self, x) -> np.ndarray:
        """Analytic Hessian, shape ``(n, n)`` (or ``(..., n, n)`` for a batch).

        Parameters
        ----------
        x : array_like of real numbers, shape ``(n,)`` or ``(..., n)``

        Returns
        -------
        numpy.ndarray
            float64, shape ``x.shape + (n,)``: :math:`\\nabla^2 f` at each point.

        Raises
        ------
        TypeError, ValueError
            As :meth:`value`.
        NotImplementedError
            For a function without an analytic Hessian (every built-in one has it).

        Examples
        --------
        >>> import numpy as np
        >>> Rosenbrock().hessian(np.array([1.0, 1.0])).tolist()
        [[802.0, -400.0], [-400.0, 200.0]]
        """
        arr = self._check_x(x)
        return np.asarray(self._hessian(arr), dtype=np.float64)

    def _value(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def _hessian(self, x):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no analytic Hessian")

    def _params(self) -> dict:
        return {}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _refine(self, points):
        """Polish approximate critical points with Newton's method (gradient norm < 1e-12)."""
        out = []
        for p in points:
            root = _newton(self._grad, self._hessian, p)
            if root is None:  # pragma: no cover - would be a bug in the seeds
                raise RuntimeError(f"{self!r}: Newton's method did not converge from {p}")
            out.append(root)
        return out


def _hess2(hxx, hxy, hyy):
    """Stack 2-D Hessian entries into an array of shape (..., 2, 2)."""
    hxx, hxy, hyy = np.broadcast_arrays(hxx, hxy, hyy)
    return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)


# --------------------------------------------------------------------------- quadratic
class Quadratic(TestFunction):
    r"""The quadratic bowl :math:`f(x) = \tfrac12 (x - x^\star)^\top A (x - x^\star)`.

    Parameters
    ----------
    condition_number : float, default 10.0
        :math:`\kappa = L / \lambda_{\min} \ge 1`; the eigenvalues are
        ``numpy.linspace(1, condition_number, dim)``. Ignored when ``eigenvalues``
        is given.
    angle : float, default 0.0
        Rotation of the eigenvectors in radians (2-D only): :math:`A = Q \Lambda Q^\top`
        with :math:`Q` the rotation by ``angle``. Must be 0 when ``dim != 2``.
    dim : int, default 2
        Dimension :math:`n \ge 1`.
    eigenvalues : array_like, optional
        The :math:`n` eigenvalues of :math:`A`, all finite and > 0 (``len`` must equal
        ``dim``).
    center : array_like, optional
        The minimiser :math:`x^\star` (default the origin).

    Attributes
    ----------
    A : numpy.ndarray
        The symmetric positive definite matrix, ``(dim, dim)``.
    L : float
        Largest eigenvalue :math:`L` (the Lipschitz constant of the gradient).
    lambda_min : float
        Smallest eigenvalue :math:`\lambda_{\min}` (the strong-convexity constant).
    kappa : float
        Condition number :math:`\kappa = L / \lambda_{\min}`.

    Raises
    ------
    ValueError
        For a condition number < 1, a nonzero angle outside 2-D, non-positive
        eigenvalues or mismatched lengths.

    Notes
    -----
    .. math::

        \nabla f(x) = A (x - x^\star), \qquad \nabla^2 f(x) = A, \qquad
        f^\star = f(x^\star) = 0.

    Gradient descent with learning rate :math:`\eta` contracts the error along the
    eigenvector of :math:`\lambda_i` by :math:`|1 - \eta \lambda_i|`: it converges iff
    :math:`\eta < 2 / L`, and the best constant rate is
    :math:`(\kappa - 1)/(\kappa + 1)`, at :math:`\eta = 2/(L + \lambda_{\min})`.

    Examples
    --------
    >>> import numpy as np
    >>> f = Quadratic(condition_number=10.0)
    >>> f.A
    array([[ 1.,  0.],
           [ 0., 10.]])
    >>> f.grad(np.array([1.0, 1.0]))
    array([ 1., 10.])
    >>> f(np.array([1.0, 1.0]))
    5.5
    >>> g = Quadratic(condition_number=4.0, angle=np.pi / 4)
    >>> np.round(g.A, 12)
    array([[ 2.5, -1.5],
           [-1.5,  2.5]])
    """

    name = "quadratic"

    def __init__(self, condition_number=10.0, angle=0.0, dim=2, eigenvalues=None, center=None):
        dim = check_int(dim, "dim", 1)
        angle = check_real(angle, "angle")
        if eigenvalues is None:
            condition_number = check_real(condition_number, "condition_number", minimum=1.0)
            lam = np.linspace(1.0, condition_number, dim)
        else:
            lam = check_real_array(eigenvalues, "eigenvalues")
            lam = lam.reshape(-1) if lam.ndim <= 1 else lam
            if lam.ndim != 1 or lam.size != dim:
                raise ValueError(f"Invalid eigenvalues: {eigenvalues!r} (must be {dim} numbers, one per dim)")
            if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
                raise ValueError(f"Invalid eigenvalues: {eigenvalues!r} (must be finite and > 0)")
        if angle != 0.0 and dim != 2:
            raise ValueError(f"Invalid angle: {angle!r} (a rotation is defined for dim=2 only; dim={dim})")
        if center is None:
            c = np.zeros(dim)
        else:
            c = check_real_array(center, "center")
            if c.shape != (dim,) or not np.all(np.isfinite(c)):
                raise ValueError(f"Invalid center: {center!r} (must be {dim} finite numbers)")
        super().__init__(dim)
        self._condition_number = condition_number
        self._explicit_eigenvalues = eigenvalues is not None
        self.angle = angle
        self.eigenvalues = lam.copy()
        if dim == 2:
            cs, sn = math.cos(angle), math.sin(angle)
            R = np.array([[cs, -sn], [sn, cs]])
            A = R @ np.diag(lam) @ R.T
            A = 0.5 * (A + A.T)
        else:
            A = np.diag(lam)
        self.A = A
        self.center = c
        self.L = float(lam.max())
        self.lambda_min = float(lam.min())
        self.kappa = self.L / self.lambda_min
        self._minima = [c.copy()]
        self.f_min = 0.0
        self._x0 = c + np.resize(np.array([-2.5, 1.5]), dim) if dim > 1 else c + np.array([-2.5])
        self._window = ((c[0] - 3.0, c[0] + 3.0), ((c[1] if dim > 1 else 0.0) - 3.0, (c[1] if dim > 1 else 0.0) + 3.0))

    def _params(self):
        if self._explicit_eigenvalues:
            p = {"angle": self.angle, "dim": self.dim, "eigenvalues": self.eigenvalues.tolist()}
        else:
            p = {"condition_number": self._condition_number, "angle": self.angle, "dim": self.dim}
        if np.any(self.center != 0):
            p["center"] = self.center.tolist()
        return p

    def _value(self, x):
        d = x - self.center
        return 0.5 * np.einsum("...i,ij,...j->...", d, self.A, d)

    def _grad(self, x):
        return (x - self.center) @ self.A.T

    def _hessian(self, x):
        return np.broadcast_to(self.A, x.shape[:-1] + self.A.shape).copy()


# --------------------------------------------------------------------------- Rosenbrock
class Rosenbrock(TestFunction):
    r"""Rosenbrock's banana valley, in any dimension :math:`n \ge 2`.

    Parameters
    ----------
    dim : int, default 2
        Dimension :math:`n \ge 2`.
    a, b : float, default 1 and 100
        Shape parameters, ``b > 0``. For ``dim > 2``, ``a`` must be 0 or 1 (otherwise
        the minimiser has no closed form).

    Notes
    -----
    .. math::

        f(x) = \sum_{i=1}^{n-1} \big[ b (x_{i+1} - x_i^2)^2 + (a - x_i)^2 \big],

    .. math::

        \frac{\partial f}{\partial x_i} = -4 b x_i (x_{i+1} - x_i^2) - 2 (a - x_i)
        \;[i < n] \; + \; 2 b (x_i - x_{i-1}^2) \;[i > 1],

    .. math::

        \frac{\partial^2 f}{\partial x_i^2} = (12 b x_i^2 - 4 b x_{i+1} + 2)\,[i < n]
        + 2b\,[i > 1], \qquad
        \frac{\partial^2 f}{\partial x_i \partial x_{i+1}} = -4 b x_i .

    In 2-D the only critical point is the global minimum :math:`(a, a^2)`, with
    :math:`f = 0`. For :math:`a = 1` the minimum is :math:`(1, \dots, 1)`; for
    :math:`4 \le n \le 7` there is also one local minimum near
    :math:`(-1, 1, \dots, 1)` [2]_ (located numerically and listed in
    ``local_minima``). Saddles are listed only for 2-D (there are none).
    The classic start is :math:`(-1.2, 1)` [1]_.

    References
    ----------
    .. [1] H. H. Rosenbrock, "An automatic method for finding the greatest or least
       value of a function", *The Computer Journal* 3(3), 1960, 175-184.
    .. [2] Y.-W. Shang and Y.-H. Qiu, "A note on the extended Rosenbrock function",
       *Evolutionary Computation* 14(1), 2006, 119-126.

    Examples
    --------
    >>> import numpy as np
    >>> f = Rosenbrock()
    >>> f(np.array([1.0, 1.0])), f(np.array([-1.2, 1.0]))
    (0.0, 24.199999999999996)
    >>> f.grad(np.array([0.0, 0.0]))
    array([-2.,  0.])
    """

    name = "rosenbrock"

    def __init__(self, dim=2, a=1.0, b=100.0):
        dim = check_int(dim, "dim", 2)
        a = check_real(a, "a")
        b = check_real(b, "b", positive=True)
        if dim > 2 and a not in (0.0, 1.0):
            raise ValueError(f"Invalid a: {a!r} (for dim > 2 only a = 0 or a = 1 has a closed-form minimum)")
        super().__init__(dim)
        self.a, self.b = a, b
        if dim == 2:
            self._minima = [np.array([a, a * a])]
        else:
            self._minima = [np.full(dim, a)]
        self.f_min = 0.0
        if a == 1.0 and 4 <= dim <= 7:
            seed = np.ones(dim)
            seed[0] = -1.0
            self._local_minima = self._refine([seed])
        x0 = np.ones(dim)
        x0[0::2] = -1.2
        self._x0 = x0
        self._window = ((-2.0, 2.0), (-1.0, 3.0))

    def _params(self):
        return {"dim": self.dim, "a": self.a, "b": self.b}

    def _value(self, x):
        xi, xn = x[..., :-1], x[..., 1:]
        return np.sum(self.b * (xn - xi**2) ** 2 + (self.a - xi) ** 2, axis=-1)

    def _grad(self, x):
        xi, xn = x[..., :-1], x[..., 1:]
        r = xn - xi**2
        g = np.zeros_like(x)
        g[..., :-1] += -4.0 * self.b * xi * r - 2.0 * (self.a - xi)
        g[..., 1:] += 2.0 * self.b * r
        return g

    def _hessian(self, x):
        n = self.dim
        xi, xn = x[..., :-1], x[..., 1:]
        H = np.zeros(x.shape + (n,))
        idx = np.arange(n - 1)
        H[..., idx, idx] += 12.0 * self.b * xi**2 - 4.0 * self.b * xn + 2.0
        H[..., idx + 1, idx + 1] += 2.0 * self.b
        H[..., idx, idx + 1] = -4.0 * self.b * xi
        H[..., idx + 1, idx] = -4.0 * self.b * xi
        return H


# --------------------------------------------------------------------------- Beale
class Beale(TestFunction):
    r"""Beale's function, a narrow curved valley with flat plateaus (2-D).

    Notes
    -----
    With :math:`c = (1.5, 2.25, 2.625)` and :math:`t_k = c_k - x + x y^k`,

    .. math::

        f(x, y) = \sum_{k=1}^{3} t_k^2, \qquad
        \nabla f = 2 \sum_k t_k \begin{pmatrix} y^k - 1 \\ k x y^{k-1} \end{pmatrix},

    .. math::

        \nabla^2 f = 2 \sum_k \Big[ \nabla t_k \nabla t_k^\top + t_k
        \begin{pmatrix} 0 & k y^{k-1} \\ k y^{k-1} & k (k-1) x y^{k-2} \end{pmatrix}
        \Big].

    Global minimum :math:`f(3, 0.5) = 0`. On the line :math:`x = 0`,
    :math:`f = \sum c_k^2 = 14.203125` is constant and :math:`\partial_x f = 0` only at
    :math:`y = 1`: :math:`(0, 1)` is a saddle with Hessian
    :math:`\begin{pmatrix} 0 & 27.75 \\ 27.75 & 0 \end{pmatrix}`. A second saddle,
    near :math:`(0.1005, -2.6445)` with :math:`f \approx 9.8645`, is located
    numerically (a Newton search from 3000 random starts in the window finds no other
    critical point there).

    References
    ----------
    .. [1] E. M. L. Beale, "On an iterative method for finding a local minimum of a
       function of more than one variable", Tech. Rep. 25, Princeton University, 1958.

    Examples
    --------
    >>> import numpy as np
    >>> f = Beale()
    >>> f(np.array([3.0, 0.5])), f(np.array([0.0, 1.0]))
    (0.0, 14.203125)
    >>> f.hessian(np.array([0.0, 1.0]))
    array([[ 0.  , 27.75],
           [27.75,  0.  ]])
    """

    name = "beale"
    _C = (1.5, 2.25, 2.625)

    def __init__(self):
        super().__init__(2)
        self._minima = [np.array([3.0, 0.5])]
        self._saddles = [np.array([0.0, 1.0])] + self._refine([(0.100538, -2.644514)])
        self.f_min = 0.0
        self._x0 = np.array([1.0, 1.5])
        self._window = ((-4.5, 4.5), (-4.5, 4.5))

    def _value(self, x):
        X, Y = x[..., 0], x[..., 1]
        return sum((c - X + X * Y**k) ** 2 for k, c in enumerate(self._C, start=1))

    def _grad(self, x):
        X, Y = x[..., 0], x[..., 1]
        gx = np.zeros_like(X)
        gy = np.zeros_like(X)
        for k, c in enumerate(self._C, start=1):
            t = c - X + X * Y**k
            gx = gx + 2.0 * t * (Y**k - 1.0)
            gy = gy + 2.0 * t * k * X * Y ** (k - 1)
        return np.stack([gx, gy], -1)

    def _hessian(self, x):
        X, Y = x[..., 0], x[..., 1]
        hxx = np.zeros_like(X)
        hxy = np.zeros_like(X)
        hyy = np.zeros_like(X)
        for k, c in enumerate(self._C, start=1):
            t = c - X + X * Y**k
            tx = Y**k - 1.0
            ty = k * X * Y ** (k - 1)
            hxx = hxx + 2.0 * tx * tx
            hxy = hxy + 2.0 * (tx * ty + t * k * Y ** (k - 1))
            hyy = hyy + 2.0 * (ty * ty + t * k * (k - 1) * X * Y ** max(k - 2, 0))
        return _hess2(hxx, hxy, hyy)


# --------------------------------------------------------------------------- Himmelblau
class Himmelblau(TestFunction):
    r"""Himmelblau's function: four global minima, four saddles, one local maximum (2-D).

    Notes
    -----
    With :math:`u = x^2 + y - 11` and :math:`v = x + y^2 - 7`,

    .. math::

        f = u^2 + v^2, \qquad
        \nabla f = \begin{pmatrix} 4 x u + 2 v \\ 2 u + 4 y v \end{pmatrix}, \qquad
        \nabla^2 f = \begin{pmatrix} 12 x^2 + 4 y - 42 & 4 (x + y) \\
                                     4 (x + y) & 12 y^2 + 4 x - 26 \end{pmatrix}.

    All four minima have :math:`f = 0`: :math:`(3, 2)` exactly and, numerically,
    :math:`(-2.805118, 3.131312)`, :math:`(-3.779310, -3.283186)`,
    :math:`(3.584428, -1.848127)`. The local maximum is near
    :math:`(-0.270845, -0.923039)` (``local_maxima``).

    References
    ----------
    .. [1] D. M. Himmelblau, *Applied Nonlinear Programming*, McGraw-Hill, 1972.

    Examples
    --------
    >>> f = Himmelblau()
    >>> len(f.minima), len(f.saddles)
    (4, 4)
    >>> [round(f(m), 12) for m in f.minima]
    [0.0, 0.0, 0.0, 0.0]
    """

    name = "himmelblau"

    def __init__(self):
        super().__init__(2)
        self._minima = self._refine(
            [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
        )
        self._minima[0] = np.array([3.0, 2.0])  # exact
        self._saddles = self._refine(
            [(0.086678, 2.884255), (-3.073026, -0.081353), (3.385154, 0.073852), (-0.127961, -1.953715)]
        )
        self.local_maxima = self._refine([(-0.270845, -0.923039)])
        self.f_min = 0.0
        self._x0 = np.array([0.0, 0.0])
        self._window = ((-5.0, 5.0), (-5.0, 5.0))

    def _value(self, x):
        X, Y = x[..., 0], x[..., 1]
        return (X**2 + Y - 11.0) ** 2 + (X + Y**2 - 7.0) ** 2

    def _grad(self, x):
        X, Y = x[..., 0], x[..., 1]
        u = X**2 + Y - 11.0
        v = X + Y**2 - 7.0
        return np.stack([4.0 * X * u + 2.0 * v, 2.0 * u + 4.0 * Y * v], -1)

    def _hessian(self, x):
        X, Y = x[..., 0], x[..., 1]
        return _hess2(12.0 * X**2 + 4.0 * Y - 42.0, 4.0 * (X + Y), 12.0 * Y**2 + 4.0 * X - 26.0)


# --------------------------------------------------------------------------- saddles
class Saddle(TestFunction):
    r"""The saddle :math:`f(x, y) = x^2 - y^2` (unbounded below).

    Notes
    -----
    :math:`\nabla f = (2x, -2y)`, :math:`\nabla^2 f = \mathrm{diag}(2, -2)`: the origin
    is a critical point with one positive and one negative curvature. Gradient
    descent with learning rate :math:`\eta` multiplies :math:`x` by :math:`1 - 2\eta` and
    :math:`y` by :math:`1 + 2\eta` each step: started exactly on :math:`y = 0` it converges
    to the saddle when :math:`0 < \eta < 1`; any :math:`y \ne 0` grows like
    :math:`(1 + 2\eta)^k` after :math:`k` steps and escapes. ``x0`` starts close to that line.

    Examples
    --------
    >>> import numpy as np
    >>> f = Saddle()
    >>> f(np.array([1.0, 2.0])), f.f_min, f.minima
    (-3.0, None, [])
    """

    name = "saddle"

    def __init__(self):
        super().__init__(2)
        self._saddles = [np.array([0.0, 0.0])]
        self.f_min = None
        self._x0 = np.array([-1.5, 0.01])
        self._window = ((-2.0, 2.0), (-2.0, 2.0))

    def _value(self, x):
        return x[..., 0] ** 2 - x[..., 1] ** 2

    def _grad(self, x):
        return np.stack([2.0 * x[..., 0], -2.0 * x[..., 1]], -1)

    def _hessian(self, x):
        one = np.ones(x.shape[:-1])
        return _hess2(2.0 * one, 0.0 * one, -2.0 * one)


class MonkeySaddle(TestFunction):
    r"""The monkey saddle :math:`f(x, y) = x^3 - 3 x y^2` (unbounded below).

    Notes
    -----
    .. math::

        \nabla f = \begin{pmatrix} 3x^2 - 3y^2 \\ -6xy \end{pmatrix}, \qquad
        \nabla^2 f = \begin{pmatrix} 6x & -6y \\ -6y & -6x \end{pmatrix}.

    The origin is a *degenerate* saddle: the Hessian there is zero, so the
    second-order test says nothing; :math:`f = \mathrm{Re}\,(x + iy)^3` goes down
    in three directions and up in three (room for two legs and a tail).

    Examples
    --------
    >>> import numpy as np
    >>> f = MonkeySaddle()
    >>> f(np.array([1.0, 1.0])), float(np.abs(f.hessian(np.zeros(2))).max())
    (-2.0, 0.0)
    """

    name = "monkey_saddle"

    def __init__(self):
        super().__init__(2)
        self._saddles = [np.array([0.0, 0.0])]
        self.f_min = None
        self._x0 = np.array([0.8, 0.05])
        self._window = ((-1.5, 1.5), (-1.5, 1.5))

    def _value(self, x):
        X, Y = x[..., 0], x[..., 1]
        return X**3 - 3.0 * X * Y**2

    def _grad(self, x):
        X, Y = x[..., 0], x[..., 1]
        return np.stack([3.0 * X**2 - 3.0 * Y**2, -6.0 * X * Y], -1)

    def _hessian(self, x):
        X, Y = x[..., 0], x[..., 1]
        return _hess2(6.0 * X, -6.0 * Y, -6.0 * X)


# --------------------------------------------------------------------------- Rastrigin
class Rastrigin(TestFunction):
    r"""Rastrigin's function: a bowl covered in ripples, any dimension.

    Parameters
    ----------
    dim : int, default 2
        Dimension :math:`n \ge 1`.
    A : float, default 10
        Ripple amplitude, ``A >= 0``.

    Notes
    -----
    .. math::

        f(x) = A n + \sum_{i=1}^n \big[x_i^2 - A \cos(2 \pi x_i)\big], \qquad
        \partial_i f = 2 x_i + 2 \pi A \sin(2 \pi x_i), \qquad
        \partial_i^2 f = 2 + 4 \pi^2 A \cos(2 \pi x_i),

    with a diagonal Hessian. Global minimum :math:`f(0) = 0`. Only the local minima in
    the usual domain :math:`[-5.12, 5.12]^n` (the plot ``window``) are considered: there
    each coordinate has a 1-D local minimiser near every integer :math:`j` with
    :math:`|j| \le 5` (when :math:`A` is large enough); in 1-D and 2-D all their
    combinations (besides the origin) are listed in ``local_minima`` (120 points in
    2-D for ``A=10``); in higher dimensions the domain holds :math:`11^n - 1` and none
    are listed. Outside the domain there are more (a 1-D local minimiser near every
    integer with :math:`2|x| < 2\pi A`, up to :math:`|x| \approx 31` for ``A=10``).
    Saddles are not listed.

    References
    ----------
    .. [1] L. A. Rastrigin, *Systems of Extremal Control*, Nauka, Moscow, 1974.

    Examples
    --------
    >>> import numpy as np
    >>> f = Rastrigin()
    >>> f(np.zeros(2)), f(np.array([1.0, 0.0]))
    (0.0, 1.0)
    >>> len(f.local_minima)
    120
    """

    name = "rastrigin"

    def __init__(self, dim=2, A=10.0):
        dim = check_int(dim, "dim", 1)
        A = check_real(A, "A", nonnegative=True)
        super().__init__(dim)
        self.A = A
        self._minima = [np.zeros(dim)]
        self.f_min = 0.0
        x0 = np.resize(np.array([2.2, -1.7]), dim) if dim > 1 else np.array([2.2])
        self._x0 = x0
        self._window = ((-5.12, 5.12), (-5.12, 5.12))
        if dim <= 2:
            roots = self._local_minimisers_1d()
            grids = np.meshgrid(*([roots] * dim), indexing="ij")
            pts = np.stack([g.ravel() for g in grids], -1)
            self._local_minima = [p.copy() for p in pts if np.any(p != 0.0)]

    def _local_minimisers_1d(self):
        """1-D minimisers of x^2 - A cos(2 pi x) near the integers of [-5, 5] (0 included)."""
        A = self.A
        out = []
        for k in range(-5, 6):
            if k == 0:
                out.append(0.0)
                continue
            x = float(k)
            for _ in range(100):
                g = 2.0 * x + 2.0 * math.pi * A * math.sin(2.0 * math.pi * x)
                h = 2.0 + 4.0 * math.pi**2 * A * math.cos(2.0 * math.pi * x)
                if h <= 0:
                    break
                x -= g / h
                if abs(g) < 1e-13:
                    break
            g = 2.0 * x + 2.0 * math.pi * A * math.sin(2.0 * math.pi * x)
            h = 2.0 + 4.0 * math.pi**2 * A * math.cos(2.0 * math.pi * x)
            if abs(g) < 1e-10 and h > 0 and abs(x - k) < 0.5:
                out.append(x)
        return np.array(sorted(set(out)))

    def _params(self):
        return {"dim": self.dim, "A": self.A}

    def _value(self, x):
        return self.A * self.dim + np.sum(x**2 - self.A * np.cos(2.0 * np.pi * x), axis=-1)

    def _grad(self, x):
        return 2.0 * x + 2.0 * np.pi * self.A * np.sin(2.0 * np.pi * x)

    def _hessian(self, x):
        d = 2.0 + 4.0 * np.pi**2 * self.A * np.cos(2.0 * np.pi * x)
        return d[..., :, None] * np.eye(self.dim)


# --------------------------------------------------------------------------- double well
class DoubleWell(TestFunction):
    r"""A tilted double well: one global and one local minimum, one saddle between (2-D).

    Notes
    -----
    .. math::

        f(x, y) = (x^2 - 1)^2 + 0.3 x + y^2, \qquad
        \nabla f = \begin{pmatrix} 4x(x^2 - 1) + 0.3 \\ 2y \end{pmatrix}, \qquad
        \nabla^2 f = \begin{pmatrix} 12 x^2 - 4 & 0 \\ 0 & 2 \end{pmatrix}.

    Critical points have :math:`y = 0` and :math:`4x^3 - 4x + 0.3 = 0`, which has
    three real roots: :math:`x \approx -1.0356` (global minimum, the tilt
    :math:`0.3x` lowers the left well), :math:`x \approx 0.0754` (saddle:
    :math:`12x^2 - 4 < 0`) and :math:`x \approx 0.9601` (local minimum). They are
    located by Newton's method to a gradient below ``1e-12`` and stored. ``x0``
    lies above the right (local) well: plain gradient descent gets stuck there.

    Examples
    --------
    >>> f = DoubleWell()
    >>> [round(float(p[0]), 4) for p in f.minima + f.local_minima + f.saddles]
    [-1.0356, 0.9601, 0.0754]
    >>> round(f.f_min, 6)
    -0.305428
    """

    name = "double_well"
    tilt = 0.3

    def __init__(self):
        super().__init__(2)
        roots = np.sort(np.roots([4.0, 0.0, -4.0, self.tilt]).real)
        left, middle, right = self._refine([(r, 0.0) for r in roots])
        self._minima = [left]
        self._local_minima = [right]
        self._saddles = [middle]
        self.f_min = float(self._value(left))
        self._x0 = np.array([1.6, 1.0])
        self._window = ((-2.0, 2.0), (-1.5, 1.5))

    def _value(self, x):
        X, Y = x[..., 0], x[..., 1]
        return (X**2 - 1.0) ** 2 + self.tilt * X + Y**2

    def _grad(self, x):
        X, Y = x[..., 0], x[..., 1]
        return np.stack([4.0 * X * (X**2 - 1.0) + self.tilt, 2.0 * Y], -1)

    def _hessian(self, x):
        X, Y = x[..., 0], x[..., 1]
        return _hess2(12.0 * X**2 - 4.0, 0.0 * X, 2.0 + 0.0 * Y)


# --------------------------------------------------------------------------- registry
FUNCTIONS: dict = {
    cls.name: cls
    for cls in (Quadratic, Rosenbrock, Beale, Himmelblau, Saddle, MonkeySaddle, Rastrigin, DoubleWell)
}


def get_function(name: str, **kwargs) -> TestFunction:
    """Build a test function by its registry name.

    Parameters
    ----------
    name : str
        One of ``FUNCTIONS`` (``"quadratic"``, ``"rosenbrock"``, ``"beale"``,
        ``"himmelblau"``, ``"saddle"``, ``"monkey_saddle"``, ``"rastrigin"``,
        ``"double_well"``); case and surrounding spaces are ignored.
    **kwargs
        Passed to the class (e.g. ``condition_number=50`` for ``"quadratic"``).

    Returns
    -------
    TestFunction

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the valid names).
    TypeError
        If ``name`` is not a string, or a keyword is not accepted by the class.

    Examples
    --------
    >>> get_function("quadratic", condition_number=50.0).kappa
    50.0
    >>> get_function("banana")
    Traceback (most recent call last):
    ...
    ValueError: Invalid name: 'banana' (must be one of 'quadratic', 'rosenbrock', 'beale', 'himmelblau', 'saddle', 'monkey_saddle', 'rastrigin', 'double_well')
    """
    if not isinstance(name, str):
        raise TypeError(f"Invalid name: {name!r} (must be a str, one of {', '.join(map(repr, FUNCTIONS))})")
    key = name.strip().lower()
    if key not in FUNCTIONS:
        raise ValueError(f"Invalid name: {name!r} (must be one of {', '.join(map(repr, FUNCTIONS))})")
    return FUNCTIONS[key](**kwargs)
