"""The course's optimizers, each a class named as the course names it.

``opt.step(params, grads)`` updates float numpy arrays in place, as the notes' ``x += ...``
lines do; ``opt.state`` holds each array's buffers (``v``, ``cache``, ``m``, ``v_max``, ``t``)
for plotting. ``learning_rate`` may be a number or a schedule (:mod:`gdlib.schedules`).
Conventions shared with ``torch.optim``: epsilon outside the square root; momentum in the
course's ``v = mu * v - learning_rate * dx`` form (same trajectories as torch while the
learning rate is constant). Each class's docstring says where it differs.
"""
from ._base import Optimizer
from .sgd import SGD, Momentum, Nesterov
from .adagrad import Adagrad
from .rmsprop import RMSProp
from .adam import Adam, AdamW, AMSGrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop
from .lion import Lion
from .muon import Muon, newton_schulz
from .newton import Newton
from .lbfgs import LBFGS
from .groups import Partition

#: name -> class, lowercase names as the explorer and the chapters use them
OPTIMIZERS = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": Adagrad,
    "rmsprop": RMSProp, "adam": Adam, "adamw": AdamW, "amsgrad": AMSGrad,
    "adadelta": Adadelta, "adamax": Adamax, "nadam": NAdam, "radam": RAdam, "rprop": Rprop, "lion": Lion,
}
# Muon is not in OPTIMIZERS: it updates 2-D matrices only, and OPTIMIZERS is the list of optimizers that
# run on any array (the explorer's points, the chapters' races by name). Use gd.Muon directly.
# Newton and LBFGS are not in OPTIMIZERS either: their step needs the objective itself (Newton its Hessian,
# L-BFGS f and its gradient along a line search), which gd.minimize passes (needs_objective = True) and which
# the explorer's and gd.train's loops, built on step(params, grads) with minibatch gradients, cannot give
# (gd.train refuses them). Use gd.Newton / gd.LBFGS with gd.minimize.
# Partition (groups.py) is not an optimizer class of its own: it dispatches each array to one of several.


def get_optimizer(name: str, **hyperparameters) -> Optimizer:
    """Build an optimizer from its lowercase name, e.g. ``get_optimizer("adam", learning_rate=0.1)``.

    Raises
    ------
    TypeError
        For a name that is not a str.
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if not isinstance(name, str):
        raise TypeError(f"Invalid optimizer: {name!r} (name must be a str, one of {', '.join(OPTIMIZERS)})")
    try:
        cls = OPTIMIZERS[name.lower()]
    except KeyError:
        raise ValueError(f"Invalid optimizer: {name!r} (name must be one of {', '.join(OPTIMIZERS)})") from None
    return cls(**hyperparameters)


__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "Adagrad", "RMSProp", "Adam", "AdamW",
           "AMSGrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "Lion", "Muon", "newton_schulz",
           "Newton", "LBFGS",
           "Partition", "OPTIMIZERS", "get_optimizer"]
