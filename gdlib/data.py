"""Small, seeded data sets for the course's classifiers and regressions.

Every generator takes ``seed`` (an int or a :class:`numpy.random.Generator`) and
returns the same arrays for the same seed. Features are ``float64`` arrays of
shape ``(n_samples, n_features)``; class labels are ``int64`` arrays of shape
``(n_samples,)`` with values ``0 .. n_classes - 1``.

``digits`` needs scikit-learn (only for its bundled 8x8 digits, no download);
it is imported inside the function so that ``import gdlib`` stays light.
"""
from __future__ import annotations

import numbers

import numpy as np

from ._validation import check_bool, check_int, check_real_array
from ._validation import rng_from_seed as _rng

__all__ = ["spiral", "blobs", "moons", "linear_regression", "digits", "minibatches"]


def _nonnegative_float(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r} (must be a real number)")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"Invalid {name}: {value!r} (must be finite and >= 0)")
    return float(value)


def spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """CS231n's spiral: ``n_classes`` interleaved arms, not linearly separable.

    Parameters
    ----------
    n_per_class : int, default 100
        Points in each arm.
    n_classes : int, default 3
        Number of arms (classes).
    noise : float, default 0.2
        Standard deviation of the Gaussian noise added to the angle (radians).
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    X : ndarray of shape (n_per_class * n_classes, 2)
    y : ndarray of int64, shape (n_per_class * n_classes,)
        Sorted by class: the first ``n_per_class`` points are class 0.

    Raises
    ------
    TypeError, ValueError
        For a non-integer or non-positive count, a negative noise or a bad seed.

    Notes
    -----
    Arm :math:`j` has radius :math:`r = \\mathrm{linspace}(0, 1, N)` and angle
    :math:`\\theta = \\mathrm{linspace}(4j, 4(j+1), N) + \\sigma\\,\\xi`,
    :math:`\\xi \\sim \\mathcal N(0, 1)`, and points
    :math:`(r \\sin\\theta,\\ r\\cos\\theta)`. A linear classifier reaches about
    50 % on three arms; a one-hidden-layer ReLU network about 98 %.

    References
    ----------
    .. [1] A. Karpathy, "CS231n: Putting it together: minimal neural network
       case study", https://cs231n.github.io/neural-networks-case-study/

    Examples
    --------
    >>> X, y = spiral(n_per_class=50, n_classes=3, seed=0)
    >>> X.shape, y.shape, np.bincount(y).tolist()
    ((150, 2), (150,), [50, 50, 50])
    >>> bool(np.all(np.linalg.norm(X, axis=1) <= 1.0 + 1e-12))
    True
    """
    n_per_class = check_int(n_per_class, "n_per_class")
    n_classes = check_int(n_classes, "n_classes")
    noise = _nonnegative_float("noise", noise)
    rng = _rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for k in range(n_classes):
        ix = slice(n_per_class * k, n_per_class * (k + 1))
        r = np.linspace(0.0, 1.0, n_per_class)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        X[ix] = np.c_[r * np.sin(theta), r * np.cos(theta)]
        y[ix] = k
    return X, y


def blobs(n_per_class=100, n_classes=3, std=1.0, centers=None, n_features=2, seed=0):
    """Isotropic Gaussian blobs, one per class.

    Parameters
    ----------
    n_per_class : int, default 100
    n_classes : int, default 3
        Ignored when ``centers`` is given (one class per center).
    std : float, default 1.0
        Standard deviation of every blob along every axis.
    centers : array_like of shape (n_classes, n_features), optional
        Blob centers. By default they are evenly spaced on a circle of radius 5
        in the first two coordinates (zero in the others), so the classes are
        well separated at ``std=1``.
    n_features : int, default 2
        Ignored when ``centers`` is given.
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    X : ndarray of shape (n_per_class * n_classes, n_features)
    y : ndarray of int64, shape (n_per_class * n_classes,), sorted by class

    Raises
    ------
    TypeError, ValueError
        For bad counts, a negative ``std``, ``centers`` that is not 2-D or not finite,
        or a bad seed.

    Notes
    -----
    Class :math:`j` is :math:`x \\sim \\mathcal N(\\bar x_j, \\sigma^2 I)` (centre :math:`\\bar x_j`).

    Like scikit-learn's ``make_blobs`` (``cluster_std=std``), but with a count per
    class instead of in total, default centers on a circle instead of drawn at random
    in :math:`[-10, 10]^d`, and samples sorted by class instead of shuffled.

    Examples
    --------
    >>> X, y = blobs(n_per_class=200, centers=[[0.0, 0.0], [10.0, 0.0]], std=1.0, seed=1)
    >>> X.shape, np.bincount(y).tolist()
    ((400, 2), [200, 200])
    >>> bool(np.allclose(X[y == 1].mean(axis=0), [10.0, 0.0], atol=0.2))
    True
    """
    n_per_class = check_int(n_per_class, "n_per_class")
    std = _nonnegative_float("std", std)
    if centers is None:
        n_classes = check_int(n_classes, "n_classes")
        n_features = check_int(n_features, "n_features", minimum=2)
        angles = 2.0 * np.pi * np.arange(n_classes) / n_classes
        centers = np.zeros((n_classes, n_features))
        centers[:, 0] = 5.0 * np.cos(angles)
        centers[:, 1] = 5.0 * np.sin(angles)
    else:
        centers = check_real_array(centers, "centers")
        if centers.ndim != 2 or centers.shape[0] < 1 or centers.shape[1] < 1:
            raise ValueError(f"Invalid centers: shape {centers.shape} (must be (n_classes, n_features))")
        if not np.all(np.isfinite(centers)):
            raise ValueError(f"Invalid centers: {centers!r} (must be finite)")
        n_classes, n_features = centers.shape
    rng = _rng(seed)
    X = np.repeat(centers, n_per_class, axis=0) + std * rng.standard_normal((n_classes * n_per_class, n_features))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    return X, y


def moons(n_per_class=100, noise=0.1, seed=0):
    """Two interleaving half circles (the "two moons"), labels 0 and 1.

    Parameters
    ----------
    n_per_class : int, default 100
    noise : float, default 0.1
        Standard deviation of Gaussian noise added to each coordinate.
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    X : ndarray of shape (2 * n_per_class, 2)
    y : ndarray of int64, shape (2 * n_per_class,), sorted by class

    Raises
    ------
    TypeError, ValueError
        For a bad count, a negative noise or a bad seed.

    Notes
    -----
    With :math:`t = \\mathrm{linspace}(0, \\pi, N)`, class 0 is
    :math:`(\\cos t, \\sin t)` and class 1 is :math:`(1 - \\cos t, \\tfrac12 - \\sin t)`
    (the same layout as scikit-learn's ``make_moons``), plus noise. Unlike
    ``make_moons`` the count is per class and the samples are sorted by class,
    not shuffled (the random numbers differ too, so the same seed gives other points).

    Examples
    --------
    >>> X, y = moons(n_per_class=50, noise=0.0)
    >>> X.shape, np.bincount(y).tolist()
    ((100, 2), [50, 50])
    >>> bool(np.allclose(np.linalg.norm(X[y == 0], axis=1), 1.0))
    True
    """
    n_per_class = check_int(n_per_class, "n_per_class")
    noise = _nonnegative_float("noise", noise)
    rng = _rng(seed)
    t = np.linspace(0.0, np.pi, n_per_class)
    outer = np.c_[np.cos(t), np.sin(t)]
    inner = np.c_[1.0 - np.cos(t), 0.5 - np.sin(t)]
    X = np.vstack([outer, inner]) + noise * rng.standard_normal((2 * n_per_class, 2))
    y = np.repeat(np.arange(2, dtype=np.int64), n_per_class)
    return X, y


def linear_regression(n_samples=100, n_features=1, noise=0.1, w=None, b=0.0, seed=0, return_coef=False):
    """Noisy linear data :math:`y = X w + b + \\sigma\\xi`, :math:`\\xi \\sim \\mathcal N(0, I)`.

    Parameters
    ----------
    n_samples : int, default 100
    n_features : int, default 1
        Ignored when ``w`` is given.
    noise : float, default 0.1
        Standard deviation :math:`\\sigma` of the Gaussian noise on ``y``.
    w : array_like of shape (n_features,), optional
        True weights; by default drawn from :math:`\\mathcal N(0, 1)`.
    b : float, default 0.0
        True intercept.
    seed : int or numpy.random.Generator, default 0
    return_coef : bool, default False
        Also return the true ``w`` and ``b``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Drawn from :math:`\\mathcal U(-1, 1)`.
    y : ndarray of shape (n_samples,)
    w, b : ndarray of shape (n_features,), float
        Only when ``return_coef`` is true.

    Raises
    ------
    TypeError, ValueError
        For bad counts, a negative noise, a ``w`` that is not 1-D, a non-finite
        ``w`` or ``b``, or a bad seed.

    Examples
    --------
    >>> X, y, w, b = linear_regression(200, w=[2.0, -1.0], b=0.5, noise=0.0, return_coef=True)
    >>> X.shape, y.shape
    ((200, 2), (200,))
    >>> bool(np.allclose(y, X @ [2.0, -1.0] + 0.5))
    True
    """
    n_samples = check_int(n_samples, "n_samples")
    noise = _nonnegative_float("noise", noise)
    if isinstance(b, (bool, np.bool_)) or not isinstance(b, numbers.Real):
        raise TypeError(f"Invalid b: {b!r} (must be a real number)")
    if not np.isfinite(b):
        raise ValueError(f"Invalid b: {b!r} (must be finite)")
    rng = _rng(seed)
    check_bool(return_coef, "return_coef")
    if w is None:
        n_features = check_int(n_features, "n_features")
        w = rng.standard_normal(n_features)
    else:
        w = np.array(check_real_array(w, "w"))
        if w.ndim != 1 or w.size < 1:
            raise ValueError(f"Invalid w: shape {w.shape} (must be 1-D and non-empty)")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"Invalid w: {w!r} (must be finite)")
        n_features = w.size
    X = rng.uniform(-1.0, 1.0, size=(n_samples, n_features))
    y = X @ w + float(b) + noise * rng.standard_normal(n_samples)
    if check_bool(return_coef, "return_coef"):
        return X, y, w, float(b)
    return X, y


def _stratified_test_counts(counts, n_test):
    """Split ``n_test`` over classes proportionally (largest-remainder rounding)."""
    n = counts.sum()
    exact = counts * n_test / n
    take = np.floor(exact).astype(np.int64)
    short = int(n_test - take.sum())
    # Hand the remaining samples to the largest fractional parts; ties go to the lower class.
    order = np.argsort(-(exact - take), kind="stable")
    take[order[:short]] += 1
    return take


def digits(test_size=0.25, seed=0):
    """scikit-learn's 8x8 handwritten digits, scaled to [0, 1] and split.

    Parameters
    ----------
    test_size : float, default 0.25
        Fraction of the 1797 images held out, strictly between 0 and 1. The test
        set has ``ceil(test_size * 1797)`` images (450 at the default, leaving
        1347 for training), shared among classes in proportion to their sizes.
    seed : int or numpy.random.Generator, default 0
        Seeds the permutation that picks the test images within each class and
        then shuffles both sets.

    Returns
    -------
    X_train : ndarray of shape (n_train, 64)
        Pixel intensities divided by 16, so in [0, 1].
    X_test : ndarray of shape (n_test, 64)
    y_train : ndarray of int64, shape (n_train,)
    y_test : ndarray of int64, shape (n_test,)

    Raises
    ------
    TypeError, ValueError
        For a ``test_size`` that is not a number in (0, 1), or a bad seed.
    ImportError
        When scikit-learn is not installed.

    Notes
    -----
    The data ship inside scikit-learn (``sklearn.datasets.load_digits``): nothing
    is downloaded. The stratified split is done here with numpy: for each class
    :math:`k` with :math:`n_k` images, :math:`n_k \\cdot n_{test}/n` test images
    rounded by the largest-remainder rule (so the counts add up to
    :math:`n_{test}`), chosen by a seeded permutation. The sizes equal those of
    scikit-learn's ``train_test_split(..., test_size=test_size, stratify=y)``; which
    images land in the test set differs (another random stream).

    References
    ----------
    .. [1] E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits",
       UCI Machine Learning Repository, 1998.

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = digits()
    >>> X_train.shape, X_test.shape
    ((1347, 64), (450, 64))
    >>> float(X_train.min()), float(X_train.max())
    (0.0, 1.0)
    """
    if isinstance(test_size, (bool, np.bool_)) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"Invalid test_size: {test_size!r} (must be a float in (0, 1))")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"Invalid test_size: {test_size!r} (must be in (0, 1))")
    rng = _rng(seed)
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("digits() needs scikit-learn: pip install 'scikit-learn>=1.4,<2'") from exc
    bunch = load_digits()
    X = bunch.data.astype(np.float64) / 16.0
    y = bunch.target.astype(np.int64)
    n = y.size
    n_test = int(np.ceil(test_size * n))
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"Invalid test_size: {test_size!r} (leaves an empty train or test set)")
    classes, counts = np.unique(y, return_counts=True)
    take = _stratified_test_counts(counts, n_test)
    test_idx, train_idx = [], []
    for k, t in zip(classes, take):
        idx = rng.permutation(np.flatnonzero(y == k))
        test_idx.append(idx[:t])
        train_idx.append(idx[t:])
    test_idx = rng.permutation(np.concatenate(test_idx))
    train_idx = rng.permutation(np.concatenate(train_idx))
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def minibatches(X, y, batch_size, seed=0, shuffle=True):
    """Iterate once over ``(X, y)`` in minibatches (one epoch).

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples, ...)
    batch_size : int
        Samples per batch. The **last batch is smaller** when ``batch_size``
        does not divide ``n_samples`` (it is kept, not dropped), so every sample
        is visited exactly once per epoch.
    seed : int or numpy.random.Generator, default 0
        Seeds the shuffle. An int gives the same order at every call; pass one
        Generator to successive epochs to get a fresh order each epoch.
    shuffle : bool, default True
        When false, batches follow the data order and ``seed`` is unused.

    Returns
    -------
    iterator of (X_batch, y_batch)
        Copies (fancy-indexed) when shuffling, views otherwise.

    Raises
    ------
    TypeError, ValueError
        For a bad ``batch_size`` or seed, ``shuffle`` that is not a bool, ``X`` or ``y`` that
        is not an array of numbers, or ``X`` and ``y`` of different lengths.

    Notes
    -----
    One call is one epoch of ``torch.utils.data.DataLoader(dataset, batch_size,
    shuffle=shuffle, drop_last=False)``: every sample once, the last batch possibly
    smaller. DataLoader reshuffles at every epoch; here an int ``seed`` repeats its
    order, and one Generator passed to every epoch gives a new order each time.

    Examples
    --------
    >>> X = np.arange(10.0).reshape(5, 2); y = np.arange(5)
    >>> [yb.tolist() for _, yb in minibatches(X, y, batch_size=2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> sorted(int(i) for _, yb in minibatches(X, y, 2, seed=3) for i in yb)
    [0, 1, 2, 3, 4]
    """
    batch_size = check_int(batch_size, "batch_size")
    shuffle = check_bool(shuffle, "shuffle")
    X = _numeric(X, "X")
    y = _numeric(y, "y")
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"Invalid X, y: shapes {X.shape} and {y.shape} (must have the same first dimension)"
        )
    # Validate now (not at the first next()), then hand back a generator.
    order = _rng(seed).permutation(X.shape[0]) if shuffle else None
    return _iterate(X, y, batch_size, order)


def _numeric(a, name):
    """``a`` as an array of numbers, kept in its dtype (bool, int or float): no object, str or complex."""
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError):   # ragged nested lists
        raise TypeError(f"Invalid {name}: {a!r} (must be a rectangular array of numbers)") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Invalid {name}: dtype {arr.dtype} (must be numbers)")
    return arr


def _iterate(X, y, batch_size, order):
    n = X.shape[0]
    for start in range(0, n, batch_size):
        if order is None:
            yield X[start:start + batch_size], y[start:start + batch_size]
        else:
            idx = order[start:start + batch_size]
            yield X[idx], y[idx]
