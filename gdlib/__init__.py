"""gdlib: the one implementation behind the gradient-descent course.

Everything the chapters, labs and tests compute comes from here::

    import gdlib as gd
    f = gd.Rosenbrock()
    opt = gd.Adam(learning_rate=0.01)
    run = gd.minimize(f, x0=f.x0, optimizer=opt, max_steps=500)

Modules, one concept each: ``derivatives`` (finite differences, gradient
check), ``functions`` (test functions), ``optim`` (optimizers), ``schedules``
(learning-rate schedules), ``runner`` (optimize and record a trajectory),
``autograd`` (reverse-mode ``Tensor``), ``losses``, ``nn``, ``data``,
``checks`` (lab self-checks), ``clipping`` (gradient clipping), ``averaging`` (iterate averaging). Plotting lives apart, in ``gdlib.plotting``;
the hyperparameter explorer in ``gdlib.explorer``.
"""
from . import derivatives, functions, schedules, runner, autograd, losses, nn, data, checks, optim, clipping, averaging
from .derivatives import *  # noqa: F401,F403
from .functions import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .schedules import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
from .autograd import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .checks import *  # noqa: F401,F403
from .clipping import *  # noqa: F401,F403
from .averaging import *  # noqa: F401,F403

__version__ = "0.1.0"

_LAZY = ("plotting", "explorer")   # matplotlib drawing and ipywidgets: imported on first use


def __getattr__(name):
    """``gd.plotting`` and ``gd.explorer`` without importing them at ``import gdlib``."""
    if name in _LAZY:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gdlib' has no attribute {name!r}")
