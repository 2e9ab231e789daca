"""Hostile inputs over every public function and class of gdlib (issue 11, item 2).

Each case is a call a careless or new user could make: a wrong type, shape or dtype (object,
complex, bool, str), nan/inf, an empty array, an aliased or read-only array, a string for a
number or a flag. It must be refused with a ``TypeError`` or ``ValueError`` whose message names
the argument and says what was expected, and the refused call must change nothing: not its
arguments, not an optimizer's state, not a model's parameters, not the open matplotlib figures.

``TABLE`` says, for every public callable (enumerated from the modules' ``__all__``), how it is
called with hostile input; ``EXEMPT`` lists, with a reason, the few that take no user input. A
new public name in neither makes ``test_every_public_callable_has_hostile_cases`` fail.
Where a nan in means a nan out (as in numpy and torch) the call is accepted and documented;
``NAN_OUT`` tests that.
"""
from __future__ import annotations

import importlib
import math
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import gdlib as gd  # noqa: E402
from gdlib import explorer, plotting  # noqa: E402

MODULES = ["derivatives", "functions", "optim", "schedules", "runner", "autograd", "losses", "nn", "data",
           "checks", "clipping", "averaging", "plotting", "explorer"]


def public_callables():
    """``"module.name" -> object`` for every callable in a module's ``__all__`` (constants left out)."""
    out = {}
    for m in MODULES:
        mod = importlib.import_module(f"gdlib.{m}")
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj) and not isinstance(obj, dict):
                out[f"{m}.{name}"] = obj
    return out


# public callables that take no user input to refuse (each with the reason)
EXEMPT = {
    "derivatives.GradientCheckError": "an exception type (its argument is the message)",
    "derivatives.GradientCheckResult": "a result record that gradient_check builds, not an input",
    "runner.Trajectory": "a result record that minimize builds, not an input",
    "explorer.Run": "a result record that the explorer builds, not an input",
    "autograd.LogDomainWarning": "a warning type",
    "checks.CheckFailed": "an exception type",
    "checks.ExerciseNotImplemented": "an exception type",
    "schedules.Schedule": "a type alias (Callable[[int], float]) for annotations",
    "nn.Module": "an abstract base class (no arguments); every concrete Module is in the table",
    "functions.Beale": "no constructor arguments; its value/grad/hessian are in the table (TestFunction.*)",
    "functions.Himmelblau": "no constructor arguments; methods covered through TestFunction.*",
    "functions.Saddle": "no constructor arguments; methods covered through TestFunction.*",
    "functions.MonkeySaddle": "no constructor arguments; methods covered through TestFunction.*",
    "functions.DoubleWell": "no constructor arguments; methods covered through TestFunction.*",
    "nn.ReLU": "no constructor arguments; its forward_numpy is in the table (Module.forward_numpy)",
    "nn.Tanh": "no constructor arguments; forward_numpy covered through Module.forward_numpy",
    "nn.Sigmoid": "no constructor arguments; forward_numpy covered through Module.forward_numpy",
}

# --------------------------------------------------------------------------- hostile values
NAN, INF = float("nan"), float("inf")


def _obj_none():
    return np.array([1.0, None], dtype=object)


# a real scalar argument: none of these is a real number
NOT_REAL = {"str": "0.1", "none": None, "bool": True, "complex": 1j, "list": [0.1], "array": np.array([0.1, 0.2])}
NOT_FINITE = {"nan": NAN, "inf": INF, "-inf": -INF}
# an int count argument
NOT_INT = {"str": "3", "none": None, "bool": True, "float": 2.5, "float_whole": 2.0, "nan": NAN, "complex": 3j}
# a True/False flag
NOT_FLAG = {"str_no": "no", "str_false": "False", "none": None, "int": 1, "float": 0.0}
# an array of real numbers (of any shape): dtypes that are not real numbers
NOT_REAL_ARRAY = {
    "object_none": _obj_none,
    "complex": lambda: np.array([1.0 + 1.0j, 2.0]),
    "str": lambda: np.array(["1.0", "2.0"]),
    "ragged": lambda: [[1.0], [1.0, 2.0]],
    "string": lambda: "1.0, 2.0",
}


def _fresh(v):
    return v() if callable(v) and not isinstance(v, type) else (v.copy() if isinstance(v, np.ndarray) else v)


class Case:
    """One hostile call: ``make() -> (callable, args, kwargs)``, refused with ``exc`` naming ``arg``."""

    def __init__(self, target, label, make, arg, exc=(TypeError, ValueError)):
        self.target, self.label, self.make, self.arg, self.exc = target, label, make, arg, exc

    @property
    def id(self):
        return f"{self.target}-{self.label}"


CASES: list[Case] = []
BASES: dict[str, object] = {}   # target -> make() of one valid call (checked to succeed)


def table(target, base, /, **sweeps):
    """Register ``base`` (a valid call) and, for each ``arg=family``, one case per hostile value.

    ``base() -> (callable, args, kwargs)``; a case replaces ``kwargs[arg]`` with the hostile value.
    """
    BASES.setdefault(target, base)
    for arg, family in sweeps.items():
        for label, value in family.items():
            def make(base=base, arg=arg, value=value):
                fn, args, kwargs = base()
                return fn, args, {**kwargs, arg: _fresh(value)}
            CASES.append(Case(target, f"{arg}={label}", make, arg))


def bad(target, label, make, arg, exc=(TypeError, ValueError)):
    CASES.append(Case(target, label, make, arg, exc))


def fam(*dicts, **extra):
    out = {}
    for d in dicts:
        out.update(d)
    out.update(extra)
    return out


POSITIVE = fam(NOT_REAL, NOT_FINITE, zero=0.0, negative=-0.1)
NONNEG = fam(NOT_REAL, NOT_FINITE, negative=-0.1)
REAL = fam(NOT_REAL, NOT_FINITE)
UNIT_OPEN = fam(NOT_REAL, NOT_FINITE, negative=-0.1, one=1.0, big=2.0)   # [0, 1)
COUNT = fam(NOT_INT, zero=0, negative=-1)
SEED = {"str": "0", "none_ok": None, "float": 1.5, "negative": -1, "bool": True}
SEED.pop("none_ok")
POINT2 = fam(NOT_REAL_ARRAY, wrong_dim=lambda: np.array([1.0, 2.0, 3.0]), empty=lambda: np.array([]),
             scalar=lambda: 1.0)


def sq(x):
    return float(np.sum(np.asarray(x) ** 2))


def X2():
    return np.array([1.0, -2.0])


# --------------------------------------------------------------------------- derivatives
D = gd.derivatives
table("derivatives.partial_derivative", lambda: (D.partial_derivative, (), dict(f=sq, x=X2(), i=0)),
      f={"str": "sq", "none": None, "array": np.ones(2)},
      x=fam(NOT_REAL_ARRAY, bool=lambda: np.array([True, False])),
      i={"float": 0.5, "str": "0", "none": None, "bool": True, "out_of_range": 5, "tuple_long": (0, 0),
         "tuple_float": (0.5,)},
      h=POSITIVE, method={"unknown": "sideways", "none": None, "int": 1})
table("derivatives.numerical_gradient", lambda: (D.numerical_gradient, (), dict(f=sq, x=X2())),
      f={"str": "sq", "none": None}, x=NOT_REAL_ARRAY, h=POSITIVE, method={"unknown": "fwd", "none": None})
table("derivatives.directional_derivative",
      lambda: (D.directional_derivative, (), dict(f=sq, x=X2(), direction=np.array([1.0, 1.0]))),
      f={"str": "sq"}, x=NOT_REAL_ARRAY,
      direction=fam(NOT_REAL_ARRAY, zero=lambda: np.zeros(2), nan=lambda: np.array([NAN, 1.0]),
                    wrong_shape=lambda: np.ones(3)),
      h=POSITIVE, normalize=NOT_FLAG)
table("derivatives.numerical_hessian", lambda: (D.numerical_hessian, (), dict(f=sq, x=X2())),
      f={"str": "sq", "none": None}, x=NOT_REAL_ARRAY, h=POSITIVE)
table("derivatives.relative_error", lambda: (D.relative_error, (), dict(a=X2(), b=X2())),
      a=fam(NOT_REAL_ARRAY, no_broadcast=lambda: np.ones(3)), b=fam(NOT_REAL_ARRAY, bool=lambda: np.array([True])))
table("derivatives.gradient_check",
      lambda: (D.gradient_check, (), dict(f=sq, x=X2(), analytic_grad=lambda x: 2 * x)),
      x=NOT_REAL_ARRAY, analytic_grad=fam(NOT_REAL_ARRAY, wrong_shape=lambda: np.ones(3)),
      h=POSITIVE, threshold=POSITIVE, raise_on_fail=NOT_FLAG)

# --------------------------------------------------------------------------- functions
F = gd.functions
table("functions.Quadratic", lambda: (F.Quadratic, (), {}),
      condition_number=fam(POSITIVE, below_one=0.5), angle=REAL, dim=COUNT,
      eigenvalues=fam(NOT_REAL_ARRAY, negative=lambda: np.array([-1.0, 1.0]), nan=lambda: np.array([NAN, 1.0]),
                      wrong_count=lambda: np.array([1.0, 2.0, 3.0])),
      center=fam(NOT_REAL_ARRAY, wrong_dim=lambda: np.ones(3), nan=lambda: np.array([NAN, 0.0])))
table("functions.Rosenbrock", lambda: (F.Rosenbrock, (), {}), dim=fam(COUNT, one=1), a=REAL, b=REAL)
table("functions.Rastrigin", lambda: (F.Rastrigin, (), {}), dim=COUNT, A=REAL)
table("functions.TestFunction", lambda: (F.TestFunction, (), dict(dim=2)), dim=COUNT)
table("functions.get_function", lambda: (F.get_function, (), dict(name="rosenbrock")),
      name={"unknown": "rosenbrok", "none": None, "int": 3, "class": F.Rosenbrock})
bad("functions.get_function", "bad_kwarg", lambda: (F.get_function, ("quadratic",), dict(condition_number="10")),
    "condition_number")
bad("functions.get_function", "unknown_kwarg", lambda: (F.get_function, ("beale",), dict(dim=3)), "dim")
for _method in ("value", "grad", "hessian"):
    for _fname in F.FUNCTIONS:
        def _base(_method=_method, _fname=_fname):
            return getattr(F.get_function(_fname), _method), (), dict(x=np.array([0.5, -0.5]))
        table(f"TestFunction.{_method}", _base, **{"x": {f"{_fname}-{k}": v for k, v in POINT2.items()}})

# --------------------------------------------------------------------------- optim: constructors
O = gd.optim
_HYPER = {
    "learning_rate": POSITIVE,
    "mu": UNIT_OPEN, "decay_rate": UNIT_OPEN, "beta1": UNIT_OPEN, "beta2": UNIT_OPEN,
    "eps": POSITIVE, "weight_decay": NONNEG, "nesterov": NOT_FLAG, "ns_steps": fam(COUNT, hundred=100),
    "damping": NONNEG, "history_size": fam(COUNT, huge=1001),
    "line_search": {"unknown": "wolfe", "int": 3, "bool": True, "empty": "", "list": ["strong_wolfe"]},
}
# Every optimizer class of gdlib.optim, found by type, so a new one is covered as soon as it is public:
# each hyperparameter gets the values no real number accepts (and, for the course's names, its range).
OPTIMIZER_CLASSES = {n: c for n in O.__all__
                     if isinstance(c := getattr(O, n), type) and issubclass(c, O.Optimizer)}
for _name, _cls in OPTIMIZER_CLASSES.items():
    _names = [n for n in _cls._hyper_names() if n != "self"]
    table(f"optim.{_name}", lambda _cls=_cls: (_cls, (), dict(learning_rate=0.1)),
          **{n: _HYPER.get(n, fam(NOT_REAL, NOT_FINITE)) for n in _names})
    bad(f"optim.{_name}", "schedule_nan_at_0", lambda _cls=_cls: (_cls, (), dict(learning_rate=lambda k: NAN)),
        "learning_rate")
    bad(f"optim.{_name}", "schedule_str", lambda _cls=_cls: (_cls, (), dict(learning_rate=lambda k: "0.1")),
        "learning_rate")
table("optim.get_optimizer", lambda: (O.get_optimizer, (), dict(name="adam")),
      name={"unknown": "adamm", "none": None, "int": 3, "class": O.Adam, "list": ["adam"]})
bad("optim.get_optimizer", "bad_hyper", lambda: (O.get_optimizer, ("momentum",), dict(mu="0.9")), "mu")
bad("optim.get_optimizer", "unknown_hyper", lambda: (O.get_optimizer, ("sgd",), dict(lr=0.1)), "lr")


# --------------------------------------------------------------------------- optim: step, for every optimizer
def _stepped(cls):
    """An optimizer of ``cls`` after one step on two arrays, and those arrays."""
    opt = cls(learning_rate=0.1)
    params = [np.ones((3, 2)), np.ones(2)]
    opt.step(params, [np.full((3, 2), 0.5), np.full(2, 0.5)])
    return opt, params


_RO = np.ones(2)
_RO.flags.writeable = False
STEP_BAD = {
    # (params, grads) builders from the stepped (params) list; the argument the message must name
    "grads_object_none": (lambda p: (p, [np.ones((3, 2)), _obj_none()]), "grads"),
    "grads_complex": (lambda p: (p, [np.ones((3, 2)), np.array([1j, 1.0])]), "grads"),
    "grads_bool": (lambda p: (p, [np.ones((3, 2)), np.array([True, False])]), "grads"),
    "grads_str": (lambda p: (p, [np.ones((3, 2)), np.array(["1", "2"])]), "grads"),
    "grads_ragged": (lambda p: (p, [np.ones((3, 2)), [[1.0], [1.0, 2.0]]]), "grads"),
    "grads_shape": (lambda p: (p, [np.ones((3, 2)), np.ones(3)]), "grads"),
    "grads_count": (lambda p: (p, [np.ones((3, 2))]), "grads"),
    "grads_not_list": (lambda p: (p, np.ones(2)), "grads"),
    "grads_none": (lambda p: (p, None), "grads"),
    "params_aliased": (lambda p: ([p[0], p[0]], [np.ones((3, 2)), np.ones((3, 2))]), "params"),
    "params_view_aliased": (lambda p: ([p[0], p[0][0]], [np.ones((3, 2)), np.ones(2)]), "params"),
    "params_int": (lambda p: ([p[0], np.arange(2)], [np.ones((3, 2)), np.ones(2)]), "params"),
    "params_complex": (lambda p: ([p[0], np.ones(2, complex)], [np.ones((3, 2)), np.ones(2)]), "params"),
    "params_list_of_floats": (lambda p: ([p[0], [1.0, 2.0]], [np.ones((3, 2)), np.ones(2)]), "params"),
    "params_read_only": (lambda p: ([p[0], _RO], [np.ones((3, 2)), np.ones(2)]), "params"),
    "params_new_shape": (lambda p: ([p[0], np.ones(3)], [np.ones((3, 2)), np.ones(3)]), "params"),
    "params_number": (lambda p: (1.0, 1.0), "params"),
    "params_none": (lambda p: (None, None), "params"),
}
for _oname in sorted(O.OPTIMIZERS):
    for _label, (_build, _arg) in STEP_BAD.items():
        def _make(_oname=_oname, _build=_build):
            opt, params = _stepped(O.OPTIMIZERS[_oname])
            p, g = _build(params)
            return opt.step, (p, g), {}
        bad("Optimizer.step", f"{_oname}-{_label}", _make, _arg)


def _base_step():
    opt, params = _stepped(O.SGD)
    return opt.step, (params, [np.ones((3, 2)), np.ones(2)]), {}


BASES["Optimizer.step"] = _base_step
bad("Optimizer.learning_rate_at", "schedule_nan_at_3",
    lambda: (O.SGD(learning_rate=lambda k: 0.1 if k < 3 else NAN).learning_rate_at, (3,), {}), "learning_rate")
BASES["Optimizer.learning_rate_at"] = lambda: (O.SGD(learning_rate=0.1).learning_rate_at, (3,), {})

# --------------------------------------------------------------------------- schedules
S = gd.schedules
table("schedules.constant", lambda: (S.constant, (), dict(learning_rate=0.1)), learning_rate=POSITIVE)
table("schedules.exponential_decay", lambda: (S.exponential_decay, (), dict(learning_rate=0.1, k=0.5)),
      learning_rate=POSITIVE, k=NONNEG, decay_steps=COUNT, staircase=NOT_FLAG)
table("schedules.step_decay", lambda: (S.step_decay, (), dict(learning_rate=0.1)),
      learning_rate=POSITIVE, drop=fam(POSITIVE, above_one=1.5), every=COUNT)
table("schedules.inverse_time_decay", lambda: (S.inverse_time_decay, (), dict(learning_rate=0.1, k=0.5)),
      learning_rate=POSITIVE, k=NONNEG)
table("schedules.cosine_decay", lambda: (S.cosine_decay, (), dict(learning_rate=0.1, total_steps=10)),
      learning_rate=POSITIVE, total_steps=COUNT, final_learning_rate=fam(NONNEG, above_initial=0.2))
table("schedules.warmup", lambda: (S.warmup, (), dict(schedule=S.constant(0.1), warmup_steps=5)),
      schedule={"str": "0.1", "none": None, "negative": -0.1, "nan_at_0": lambda: (lambda k: NAN),
                "returns_str": lambda: (lambda k: "0.1")},
      warmup_steps=COUNT, initial_learning_rate=NONNEG)
STEP_VALUES = {"none": None, "nan": NAN, "inf": INF, "fraction": 1.5, "negative": -1, "str": "3", "bool": True,
               "complex": 1j, "array_fraction": lambda: np.array([0.0, 0.5]), "object": _obj_none}
for _sname, _make_schedule in [
        ("constant", lambda: S.constant(0.1)), ("exponential_decay", lambda: S.exponential_decay(0.1, 0.5)),
        ("step_decay", lambda: S.step_decay(0.1)), ("inverse_time_decay", lambda: S.inverse_time_decay(0.1, 0.5)),
        ("cosine_decay", lambda: S.cosine_decay(0.1, 10)), ("warmup", lambda: S.warmup(0.1, 5))]:
    table(f"schedule({_sname})", lambda _m=_make_schedule: (_m(), (), dict(step=3)),
          step={f"{_sname}-{k}": v for k, v in STEP_VALUES.items()})

# --------------------------------------------------------------------------- runner
R = gd.runner
table("runner.minimize",
      lambda: (R.minimize, (), dict(f=F.Quadratic(), x0=np.array([1.0, 1.0]), optimizer=O.SGD(0.1), max_steps=3)),
      f={"str_unknown": "nope", "none": None, "int": 3},
      x0=fam(NOT_REAL_ARRAY, wrong_dim=lambda: np.ones(3), nan=lambda: np.array([NAN, 1.0])),
      optimizer={"str": "sgd", "none": None, "class": O.SGD},
      max_steps=fam(NOT_INT, negative=-1), tol=NONNEG, divergence_factor=POSITIVE,
      grad={"str": "grad", "int": 3}, hessian={"str": "H", "int": 3, "array": lambda: np.eye(2)})
# Newton needs a Hessian: a plain callable without hessian= is refused before anything runs
bad("runner.minimize", "newton_without_hessian",
    lambda: (R.minimize, (), dict(f=lambda x: float(x @ x), grad=lambda x: 2 * x, x0=np.array([1.0, 1.0]),
                                  optimizer=O.Newton(), max_steps=3)), "f")

# --------------------------------------------------------------------------- Newton and LBFGS: step(params, grads, objective)
_QF = F.Quadratic()
for _cls in (O.Newton, O.LBFGS):
    _n = _cls.__name__
    bad("Optimizer.step", f"{_n}-no_objective", lambda _cls=_cls: (_cls().step, (np.ones(2), np.ones(2)), {}),
        "objective")
    bad("Optimizer.step", f"{_n}-objective_str", lambda _cls=_cls: (_cls().step, (np.ones(2), np.ones(2)),
                                                                    dict(objective="rosenbrock")), "objective")
    bad("Optimizer.step", f"{_n}-objective_no_grad", lambda _cls=_cls: (_cls().step, (np.ones(2), np.ones(2)),
                                                                        dict(objective=lambda x: 0.0)), "objective")
    bad("Optimizer.step", f"{_n}-params_list", lambda _cls=_cls: (_cls().step, ([np.ones(2), np.ones(2)],
                                                                                [np.ones(2), np.ones(2)]),
                                                                  dict(objective=_QF)), "params")
    bad("Optimizer.step", f"{_n}-grads_object", lambda _cls=_cls: (_cls().step, (np.ones(2), _obj_none()),
                                                                   dict(objective=_QF)), "grads")
    bad("Optimizer.step", f"{_n}-params_int", lambda _cls=_cls: (_cls().step, (np.arange(2), np.ones(2)),
                                                                 dict(objective=_QF)), "params")
bad("Optimizer.step", "Newton-singular_hessian",
    lambda: (O.Newton().step, (np.zeros(2), np.zeros(2)), dict(objective=F.MonkeySaddle())), "damping")
bad("Optimizer.step", "Newton-objective_no_hessian",
    lambda: (O.Newton().step, (np.ones(2), np.ones(2)), dict(objective=gd.runner._Objective(_QF, _QF.grad))),
    "objective")


class _WrongShapes:
    """An objective whose gradient and Hessian are for a 3-vector: refused by name, nothing modified."""
    def __call__(self, x):
        return _QF(x)

    def grad(self, x):
        return np.ones(3)

    def hessian(self, x):
        return np.eye(3)


bad("Optimizer.step", "Newton-hessian_wrong_shape",
    lambda: (O.Newton().step, (np.ones(2), np.ones(2)), dict(objective=_WrongShapes())), "objective")
bad("Optimizer.step", "LBFGS-grad_wrong_size",      # the line search reads grad(x): refused mid-search
    lambda: (O.LBFGS().step, (np.ones(2), _QF.grad(np.ones(2))), dict(objective=_WrongShapes())), "objective")
bad("runner.minimize", "averaged_partition",         # one rate per group: minimize needs one per step
    lambda: (R.minimize, (), dict(f=F.Quadratic(), x0=np.array([1.0, 1.0]), max_steps=3,
                                  optimizer=gd.Averaged(O.Partition({"a": O.SGD(0.1)}, label=["a"])))), "optimizer")

# --------------------------------------------------------------------------- Muon (2-D only) and newton_schulz
MATRIX = fam(NOT_REAL_ARRAY, vector=lambda: np.ones(3), cube=lambda: np.ones((2, 2, 2)), empty=lambda: np.ones((0, 2)),
             scalar=1.0)
table("optim.newton_schulz", lambda: (O.newton_schulz, (), dict(G=np.ones((2, 3)))),
      G=MATRIX, steps=fam(COUNT, hundred=100), eps=POSITIVE)
for _label, _p, _g in [("vector", lambda: np.ones(3), lambda: np.ones(3)),
                       ("list_with_vector", lambda: [np.ones((2, 2)), np.ones(2)], lambda: [np.ones((2, 2)), np.ones(2)]),
                       ("cube", lambda: np.ones((2, 2, 2)), lambda: np.ones((2, 2, 2)))]:
    bad("Optimizer.step", f"muon-{_label}", lambda _p=_p, _g=_g: (O.Muon().step, (_p(), _g()), {}), "params")

# --------------------------------------------------------------------------- Partition (parameter groups)
table("optim.Partition",
      lambda: (O.Partition, (), dict(optimizers={"muon": O.Muon(), "adamw": O.AdamW()}, label=["muon", "adamw"])),
      optimizers={"list": lambda: [O.SGD(0.1)], "empty": {}, "none": None, "str": "muon",
                  "class": lambda: {"muon": O.Muon, "adamw": O.AdamW}, "name": lambda: {"muon": "muon", "adamw": "adamw"},
                  "int_key": lambda: {1: O.SGD(0.1)}, "used": lambda: {"muon": _used_muon(), "adamw": O.AdamW()},
                  "averaged_partition": lambda: {"muon": gd.Averaged(O.Partition({"a": O.SGD(0.1)}, label=["a"])),
                                                 "adamw": O.AdamW()}},
      label={"str": "muon", "none": None, "int": 3, "unknown": ["muon", "adam"], "not_str": ["muon", 1]})


def _used_muon():
    opt = O.Muon()
    opt.step(np.ones((2, 2)), np.ones((2, 2)))
    return opt


def _stepped_partition():
    opt = O.Partition({"muon": O.Muon(learning_rate=0.1), "adamw": O.AdamW(learning_rate=0.1)},
                      label=lambda x: "muon" if x.ndim == 2 else "adamw")
    params = [np.ones((3, 2)), np.ones(2)]
    opt.step(params, [np.full((3, 2), 0.5), np.full(2, 0.5)])
    return opt, params


for _label, (_build, _arg) in STEP_BAD.items():
    def _make(_build=_build):
        opt, params = _stepped_partition()
        p, g = _build(params)
        return opt.step, (p, g), {}
    bad("Partition.step", _label, _make, _arg)
bad("Partition.step", "first_step_vector_to_muon",
    lambda: (O.Partition({"adamw": O.AdamW(), "muon": O.Muon()}, label=["muon", "muon"]).step,
             ([np.ones((2, 2)), np.ones(2)], [np.ones((2, 2)), np.ones(2)]), {}), "params")
bad("Partition.step", "label_unknown",
    lambda: (O.Partition({"muon": O.Muon()}, label=lambda x: "adamw").step, (np.ones((2, 2)), np.ones((2, 2))), {}),
    "label")
BASES["Partition.step"] = lambda: (lambda opt, params: (opt.step, (params, [np.ones((3, 2)), np.ones(2)]), {}))(
    *_stepped_partition())

# --------------------------------------------------------------------------- clipping
K = gd.clipping
_GRADS_BAD = fam(NOT_REAL_ARRAY, none=None, number=1.0, int_array=lambda: [np.array([3, 4])],
                 list_of_floats=lambda: [[1.0, 2.0]], read_only=lambda: [_RO], aliased=lambda: [_G, _G])
_G = np.ones(2)
table("clipping.clip_grad_norm", lambda: (K.clip_grad_norm, (), dict(grads=[np.ones(2), np.ones(3)], max_norm=1.0)),
      grads=_GRADS_BAD, max_norm=POSITIVE)
table("clipping.clip_grad_value",
      lambda: (K.clip_grad_value, (), dict(grads=[np.ones(2), np.ones(3)], clip_value=1.0)),
      grads=_GRADS_BAD, clip_value=POSITIVE)

# --------------------------------------------------------------------------- iterate averaging
AV = gd.averaging
table("averaging.Averaged", lambda: (AV.Averaged, (), dict(optimizer=O.SGD(0.1))),
      optimizer={"str": "sgd", "none": None, "class": O.SGD, "averaged": lambda: AV.Averaged(O.SGD(0.1))},
      mode={"unknown": "swa", "none": None, "int": 1, "upper": "Polyak"},
      decay_rate=fam(NOT_REAL, NOT_FINITE, negative=-0.1, big=1.5), start=fam(NOT_INT, negative=-1))


def _stepped_averaged():
    opt = AV.Averaged(O.Momentum(learning_rate=0.1), mode="ema", decay_rate=0.9)
    params = [np.ones((3, 2)), np.ones(2)]
    opt.step(params, [np.full((3, 2), 0.5), np.full(2, 0.5)])
    return opt, params


for _label, (_build, _arg) in STEP_BAD.items():
    def _make(_build=_build):
        opt, params = _stepped_averaged()
        p, g = _build(params)
        return opt.step, (p, g), {}
    bad("Averaged.step", _label, _make, _arg)
bad("Averaged.step", "dtype_changed",
    lambda: (lambda opt, params: (opt.step, ([params[0], params[1].astype(np.float32)],
                                             [np.ones((3, 2)), np.ones(2)]), {}))(*_stepped_averaged()), "params[1]")
BASES["Averaged.step"] = lambda: (lambda opt, params: (opt.step, (params, [np.ones((3, 2)), np.ones(2)]), {}))(
    *_stepped_averaged())
_SWAP_BAD = {"none": None, "number": 1.0, "count": lambda: [np.ones((3, 2))], "shape": lambda: [np.ones((3, 2)), np.ones(3)],
             "dtype": lambda: [np.ones((3, 2)), np.ones(2, np.float32)], "list_of_floats": lambda: [np.ones((3, 2)), [1.0, 2.0]],
             "read_only": lambda: [np.ones((3, 2)), _RO], "aliased": lambda: [_P32, _P32[:, 0]]}
_P32 = np.ones((3, 2))
table("Averaged.swapped", lambda: (lambda opt, params: (opt.swapped, (), dict(params=params)))(*_stepped_averaged()),
      params=_SWAP_BAD)
bad("Averaged.swapped", "before_first_step", lambda: (AV.Averaged(O.SGD(0.1)).swapped, (), dict(params=np.ones(2))),
    "params")

# --------------------------------------------------------------------------- autograd
A = gd.autograd
for _tname, _fn in [("autograd.Tensor", A.Tensor), ("autograd.tensor", A.tensor)]:
    table(_tname, lambda _fn=_fn: (_fn, (), dict(data=[1.0, 2.0])),
          data=fam(NOT_REAL_ARRAY, bool=True, bool_array=lambda: np.array([True]), none=None),
          label={"int": 3, "none": None}, requires_grad=NOT_FLAG)


def _t():
    return A.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))


bad("Tensor.__add__", "str", lambda: (_t().__add__, ("a",), {}), "operand")
bad("Tensor.__add__", "object", lambda: (_t().__add__, (_obj_none(),), {}), "operand")
bad("Tensor.__mul__", "complex", lambda: (_t().__mul__, (1j,), {}), "operand")
bad("Tensor.__matmul__", "shape", lambda: (_t().__matmul__, (A.Tensor(np.ones(3)),), {}), "operand")
bad("Tensor.__pow__", "str", lambda: (_t().__pow__, ("2",), {}), "exponent")
bad("Tensor.__pow__", "tensor", lambda: (_t().__pow__, (_t(),), {}), "exponent")
bad("Tensor.backward", "no_seed", lambda: (_t().backward, (), {}), "grad")
table("Tensor.backward", lambda: ((_t() * 2.0).backward, (), dict(grad=np.ones((2, 2)))),
      grad=fam(NOT_REAL_ARRAY, wrong_shape=lambda: np.ones(3), bool=lambda: np.ones((2, 2), bool)))
table("Tensor.sum", lambda: (_t().sum, (), dict(axis=0)),
      axis={"out_of_range": 5, "str": "0", "float": 0.5, "repeated": (0, 0)}, keepdims=NOT_FLAG)
table("Tensor.mean", lambda: (_t().mean, (), dict(axis=0)), axis={"out_of_range": -3, "str": "1"},
      keepdims=NOT_FLAG)
table("Tensor.max", lambda: (_t().max, (), dict(axis=0)), axis={"out_of_range": 2, "none_str": "None"},
      keepdims=NOT_FLAG)
bad("Tensor.reshape", "wrong_size", lambda: (_t().reshape, (3, 2), {}), "shape")
bad("Tensor.reshape", "str", lambda: (_t().reshape, ("4",), {}), "shape")
bad("Tensor.__getitem__", "str", lambda: (_t().__getitem__, ("a",), {}), "index", exc=IndexError)
bad("Tensor.__getitem__", "out_of_range", lambda: (_t().__getitem__, (5,), {}), "index", exc=IndexError)
bad("Tensor.__getitem__", "tensor", lambda: (_t().__getitem__, (_t(),), {}), "index")
bad("Tensor.item", "many", lambda: (_t().item, (), {}), "item")

# --------------------------------------------------------------------------- losses
L = gd.losses


def _scores():
    return np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]])


SCORES_BAD = fam(NOT_REAL_ARRAY, one_d=lambda: np.ones(3), empty=lambda: np.ones((0, 3)), bool=lambda: np.ones((2, 3), bool))
LABELS_BAD = {"float": lambda: np.array([0.5, 1.0]), "negative": lambda: np.array([-1, 0]),
              "too_big": lambda: np.array([0, 3]), "wrong_length": lambda: np.array([0]),
              "str": lambda: np.array(["0", "1"]), "object": _obj_none, "bool": lambda: np.array([True, False]),
              "nan": lambda: np.array([NAN, 0.0]), "none": None}
W_BAD = fam(NOT_REAL_ARRAY)
for _pre, mod_fn in [("", None), ("tensor_", A.Tensor)]:
    wrap = (lambda v: v) if mod_fn is None else (lambda v: A.Tensor(v))
    table(f"losses.{_pre}svm_loss",
          lambda _pre=_pre, wrap=wrap: (getattr(L, f"{_pre}svm_loss"), (), dict(scores=wrap(_scores()), y=np.array([1, 2]))),
          **({"scores": SCORES_BAD} if not _pre else {}), y=LABELS_BAD, delta=NONNEG,
          reg=fam(NONNEG))
    table(f"losses.{_pre}softmax_cross_entropy",
          lambda _pre=_pre, wrap=wrap: (getattr(L, f"{_pre}softmax_cross_entropy"), (),
                                        dict(scores=wrap(_scores()), y=np.array([1, 2]))),
          **({"scores": SCORES_BAD} if not _pre else {}), y=LABELS_BAD, reg=NONNEG)
    table(f"losses.{_pre}mse_loss",
          lambda _pre=_pre, wrap=wrap: (getattr(L, f"{_pre}mse_loss"), (), dict(pred=wrap(np.ones(3)), target=np.zeros(3))),
          **({"pred": NOT_REAL_ARRAY} if not _pre else {}),
          target=fam(NOT_REAL_ARRAY, wrong_shape=lambda: np.zeros(4)))
    table(f"losses.{_pre}l2_penalty",
          lambda _pre=_pre, wrap=wrap: (getattr(L, f"{_pre}l2_penalty"), (), dict(W=wrap(np.ones((2, 2))), reg=0.1)),
          reg=NONNEG, **({"W": fam({k: v for k, v in W_BAD.items() if k != "ragged"}, none=None)} if not _pre
                         else {"W": {"none": None, "str": "W"}}))
table("losses.softmax", lambda: (L.softmax, (), dict(scores=_scores())), scores=fam(NOT_REAL_ARRAY, bool=lambda: np.ones(2, bool)))
bad("losses.svm_loss", "reg_without_W", lambda: (L.svm_loss, (_scores(), np.array([1, 2])), dict(reg=0.1)), "W")
bad("losses.softmax_cross_entropy", "W_wrong_dtype",
    lambda: (L.softmax_cross_entropy, (_scores(), np.array([1, 2])), dict(reg=0.1, W=_obj_none())), "W")

# --------------------------------------------------------------------------- nn
N = gd.nn
table("nn.Linear", lambda: (N.Linear, (), dict(n_in=2, n_out=3)),
      n_in=COUNT, n_out=COUNT, init={"unknown": "glorot", "zero": 0.0, "negative": -1.0, "nan": NAN, "none": None,
                                      "bool": True, "str_number": "0.1"}, seed=SEED)
table("nn.MLP", lambda: (N.MLP, (), dict(sizes=[2, 4, 3])),
      sizes={"int": 3, "one": [2], "zero_width": [2, 0, 3], "float": [2, 4.0, 3], "str": "243", "none": None,
             "bool": [2, True, 3]},
      activation={"unknown": "gelu", "list": ["relu"], "none": None}, init={"unknown": "he2"}, seed=SEED)
bad("nn.Sequential", "not_a_module", lambda: (N.Sequential, (N.Linear(2, 3), "relu"), {}), "layer")
bad("nn.Sequential", "function", lambda: (N.Sequential, (np.tanh,), {}), "layer")
BASES["nn.Sequential"] = lambda: (N.Sequential, (N.Linear(2, 3), N.ReLU()), {})
for _mname, _module in [("Linear", lambda: N.Linear(2, 3)), ("ReLU", N.ReLU), ("Tanh", N.Tanh),
                        ("Sigmoid", N.Sigmoid), ("MLP", lambda: N.MLP([2, 4, 3]))]:
    xs = dict(NOT_REAL_ARRAY)
    if _mname in ("Linear", "MLP"):
        xs.update(wrong_features=lambda: np.ones((4, 5)), three_d=lambda: np.ones((2, 2, 2)))
    table("Module.forward_numpy", lambda _m=_module: (_m().forward_numpy, (), dict(x=np.ones((4, 2)))),
          x={f"{_mname}-{k}": v for k, v in xs.items()})
    table("Module.__call__", lambda _m=_module: (_m(), (), dict(x=np.ones((4, 2)))),
          x={f"{_mname}-{k}": v for k, v in xs.items()})


def _data():
    return np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, -1.0]]), np.array([0, 1, 2, 0])


X_BAD = fam(NOT_REAL_ARRAY, empty=lambda: np.ones((0, 2)), one_d=lambda: np.ones(4),
            wrong_features=lambda: np.ones((4, 5)))
table("nn.accuracy", lambda: (N.accuracy, (), dict(model=N.Linear(2, 3), X=_data()[0], y=_data()[1])),
      model={"none": None, "str": "mlp", "array": np.ones(3), "returns_none": lambda: (lambda X: None),
             "returns_str": lambda: (lambda X: "scores"), "returns_1d": lambda: (lambda X: np.zeros(len(X)))},
      X=X_BAD, y=LABELS_BAD)


def _train_base(**kw):
    X, y = _data()
    return N.train, (), {**dict(model=N.MLP([2, 4, 3]), X=X, y=y, optimizer=O.SGD(0.1), epochs=2, batch_size=2), **kw}


table("nn.train", _train_base,
      model={"none": None, "str": "mlp"}, X=fam(X_BAD, nan=lambda: np.array([[NAN, 0.0]] * 4)), y=LABELS_BAD,
      optimizer={"none": None, "str": "sgd", "class": O.SGD, "newton": lambda: O.Newton(), "lbfgs": lambda: O.LBFGS()},
      loss={"unknown": "hinge", "none": None, "list": ["svm"]}, epochs=COUNT, batch_size=COUNT, seed=SEED)
bad("nn.train", "schedule_nan_at_step_3",
    lambda: _train_base(optimizer=O.SGD(learning_rate=lambda k: 0.1 if k < 3 else NAN)), "learning_rate")
bad("nn.train", "schedule_str_at_last_step",   # 2 epochs of 2 batches: steps 0..3
    lambda: _train_base(optimizer=O.Momentum(learning_rate=lambda k: 0.1 if k < 3 else "0.1")), "learning_rate")


def _train_mse(y):
    X, _ = _data()
    return N.train, (), dict(model=N.Linear(2, 2), X=X, y=y, optimizer=O.SGD(0.1), loss="mse", epochs=2,
                             batch_size=2)


bad("nn.train", "mse_target_None", lambda: _train_mse(np.array([[None, 1.0]] * 4, dtype=object)), "y")
bad("nn.train", "mse_target_nan", lambda: _train_mse(np.array([[NAN, 1.0]] * 4)), "y")
bad("nn.train", "mse_target_str", lambda: _train_mse(np.array([["1", "1"]] * 4)), "y")
bad("nn.train", "mse_target_shape", lambda: _train_mse(np.ones((4, 3))), "y")
bad("nn.train", "mse_target_complex", lambda: _train_mse(np.ones((4, 2), complex)), "y")

# --------------------------------------------------------------------------- data
G = gd.data
NOISE = fam(NOT_REAL, NOT_FINITE, negative=-0.1)
table("data.spiral", lambda: (G.spiral, (), dict(n_per_class=5)), n_per_class=COUNT, n_classes=COUNT,
      noise=NOISE, seed=SEED)
table("data.blobs", lambda: (G.blobs, (), dict(n_per_class=5)), n_per_class=COUNT, n_classes=COUNT,
      std=NONNEG, n_features=COUNT, seed=SEED,
      centers=fam(NOT_REAL_ARRAY, nan=lambda: np.array([[NAN, 0.0]] * 3), one_d=lambda: np.zeros(2),
                  empty=lambda: np.zeros((0, 2))))
table("data.moons", lambda: (G.moons, (), dict(n_per_class=5)), n_per_class=COUNT, noise=NOISE, seed=SEED)
table("data.linear_regression", lambda: (G.linear_regression, (), dict(n_samples=5)),
      n_samples=COUNT, n_features=COUNT, noise=NOISE, seed=SEED, return_coef=NOT_FLAG, b=REAL,
      w=fam(NOT_REAL_ARRAY, two_d=lambda: np.ones((2, 1)), empty=lambda: np.array([]), nan=lambda: np.array([NAN])))
table("data.digits", lambda: (G.digits, (), {}),
      test_size=fam(NOT_REAL, NOT_FINITE, zero=0.0, one=1.0, negative=-0.1), seed=SEED)


def _mb(**kw):
    X, y = _data()
    return lambda: list(G.minibatches(**{"X": X, "y": y, "batch_size": 2, **kw}))


def _mb_base():
    X, y = _data()
    return (lambda **kw: list(G.minibatches(**kw))), (), dict(X=X, y=y, batch_size=2)


table("data.minibatches", _mb_base,
      X=fam(NOT_REAL_ARRAY, empty=lambda: np.ones((0, 2)), scalar=1.0),
      y={"wrong_length": lambda: np.zeros(3), "scalar": 1.0}, batch_size=COUNT, seed=SEED, shuffle=NOT_FLAG)

# --------------------------------------------------------------------------- checks
C = gd.checks
for _cname in ["check_numerical_gradient", "check_svm_loss_grad", "check_gradient_descent",
               "check_divergence_threshold", "check_momentum_step", "check_nesterov_step", "check_adagrad_step",
               "check_rmsprop_step", "check_adam_step", "check_two_layer_backward", "check_newton_schulz",
               "check_lion_step", "check_radam_step", "check_muon_step", "check_sign_schedule"]:
    _arg = list(__import__("inspect").signature(getattr(C, _cname)).parameters)[0]
    for _label, _value in {"none": None, "str": "my_function", "number": 3}.items():
        bad(f"checks.{_cname}", f"{_arg}={_label}",
            lambda _cname=_cname, _arg=_arg, _value=_value: (getattr(C, _cname), (), {_arg: _value}), _arg)
    BASES.setdefault(f"checks.{_cname}", None)
table("checks.check_gradient",
      lambda: (C.check_gradient, (), dict(grad=lambda x: 2 * x, f=sq, points=[np.array([1.0, 2.0])])),
      f={"none": None, "str": "sq", "returns_none": lambda: (lambda x: None),
         "returns_vector": lambda: (lambda x: np.ones(3))},
      points={"empty": [], "none": None, "str": "1,2", "object": lambda: [_obj_none()], "nan": [[NAN, 1.0]],
              "ragged": [[[1.0], [1.0, 2.0]]]},
      name={"int": 3, "none": None}, unpack=NOT_FLAG,
      arg_names={"str": "xy", "ints": [1, 2]})
bad("checks.check_gradient", "unpack_arg_names_count",
    lambda: (C.check_gradient, (lambda x, y: (2 * x, 2 * y), lambda x, y: x * x + y * y, [[1.0, 2.0]]),
             dict(unpack=True, arg_names=["x"])), "arg_names")
table("checks.check_schedule",
      lambda: (C.check_schedule, (), dict(make_schedule=lambda learning_rate: S.constant(learning_rate),
                                          reference="constant", settings=[dict(learning_rate=0.1)])),
      make_schedule={"none": None, "str": "constant"},
      reference={"unknown": "linear", "none": None, "alias": "Schedule", "int": 3},
      settings={"empty": [], "dict": {"learning_rate": 0.1}, "bad_setting": [{"learning_rate": -1.0}],
                "not_dicts": ["learning_rate=0.1"], "unknown_key": [{"lr": 0.1}]},
      steps={"negative": (0, -1), "fraction": (0, 1.5), "empty": (), "str": "012"},
      name={"int": 3})
table("checks.check_accuracy", lambda: (C.check_accuracy, (), dict(accuracy=0.97, target=0.95)),
      target=fam(NOT_REAL, NOT_FINITE, zero=0.0, above_one=1.5, str="0.95"),
      what={"int": 3, "none": None}, hint={"int": 3, "none": None}, name={"int": 3})
table("checks.check_digits_training",
      lambda: (C.check_digits_training, (), dict(train_digits=lambda *a: None,
                                                 make_schedule=lambda n: S.constant(0.1), epochs=1, target=0.9)),
      epochs=COUNT, target=fam(NOT_REAL, NOT_FINITE, zero=0.0, above_one=1.5))
BASES["checks.check_digits_training"] = None   # a real training run: covered by test_checks
table("checks.check_sign_schedule",
      lambda: (C.check_sign_schedule, (), dict(sign_schedule=lambda n: S.cosine_decay(0.1, n))),
      target=fam(NOT_REAL, NOT_FINITE, zero=0.0, negative=-1e-4), n_steps=COUNT)
BASES["checks.check_sign_schedule"] = None      # 200 Lion and Muon steps: covered by test_checks


# --------------------------------------------------------------------------- plotting
def _ax():
    return plt.figure().add_subplot()


PF = {"unknown": "rosenbrok", "none": None, "int": 3, "three_d": lambda: F.Rosenbrock(dim=3)}
WINDOW = {"flat": ((1.0, 1.0), (0.0, 1.0)), "reversed": ((1.0, 0.0), (0.0, 1.0)), "nan": ((NAN, 1.0), (0.0, 1.0)),
          "str": "0,1,0,1", "three": ((0, 1), (0, 1), (0, 1))}
AX = {"str": "ax", "int": 1, "figure": lambda: plt.figure()}
table("plotting.plot_contours", lambda: (plotting.plot_contours, (), dict(f="quadratic", n=10)),
      f=PF, ax=AX, levels=fam({"zero": 0, "negative": -3, "str": "abc", "bool": True, "nan_list": [NAN, 1.0],
                               "empty": []}), log=NOT_FLAG, n=fam(COUNT, one=1), window=WINDOW)
for _pname in ("plot_contours", "plot_surface"):   # a callable that does not return one value per grid point
    bad(f"plotting.{_pname}", "f=wrong_shape_callable",
        lambda _pname=_pname: (getattr(plotting, _pname), (lambda P: 1.0,), dict(window=((0, 1), (0, 1)), n=5)), "f")
table("plotting.plot_gradient_field", lambda: (plotting.plot_gradient_field, (), dict(f="quadratic", n=5)),
      f=PF, ax=AX, n=fam(COUNT, one=1), window=WINDOW,
      descent=NOT_FLAG, normalize=NOT_FLAG)
table("plotting.plot_surface", lambda: (plotting.plot_surface, (), dict(f="quadratic", n=5)),
      f=PF, ax=fam(AX, two_d=_ax), n=fam(COUNT, one=1), window=WINDOW)
table("plotting.plot_trajectory", lambda: (plotting.plot_trajectory, (), dict(traj=np.zeros((3, 2)))),
      traj=fam(NOT_REAL_ARRAY, empty=lambda: np.zeros((0, 2)), three_d=lambda: np.zeros((3, 3)), none=None),
      ax=AX, label={"int": 3}, color={"unknown": "notacolor", "int_list": [1, 2]})
table("plotting.plot_losses", lambda: (plotting.plot_losses, (), dict(trajs=[[3.0, 2.0, 1.0]])),
      trajs={"str": "abc", "none": None, "object": lambda: [_obj_none()]},
      ax=AX, log=NOT_FLAG, labels={"count": ["a", "b"]},
      f_min=fam({k: v for k, v in NOT_REAL.items() if k != "none"}, NOT_FINITE))
table("plotting.draw_graph", lambda: (plotting.draw_graph, (), dict(tensor=_t().sum())),
      tensor={"array": np.ones(2), "none": None, "number": 3.0}, ax=AX)


# --------------------------------------------------------------------------- explorer
def _ex_base(cls):
    return lambda: (cls, (), dict(function="quadratic", optimizer="sgd", sliders={"learning_rate": [0.01, 0.1]},
                                  steps=5))


for _ename, _cls in [("explorer.explore", explorer.explore), ("explorer.Explorer", explorer.Explorer),
                     ("explorer.Grid", explorer.Grid)]:
    table(_ename, _ex_base(_cls),
          function={"unknown": "nope", "none": None, "int": 3, "empty": [], "three_d": lambda: F.Rosenbrock(dim=3)},
          optimizer={"unknown": "adamm", "none": None, "class": O.SGD, "empty": []},
          sliders={"str": "learning_rate", "not_list": {"learning_rate": 0.1}, "empty": {"learning_rate": []},
                   "bad_value": {"learning_rate": [-0.1, 0.1]}, "unknown": {"lr": [0.1]},
                   "str_values": {"learning_rate": ["0.1"]}},
          fixed={"str": "eps", "bad_value": {"mu": 2.0}, "unknown": {"gamma": 0.1}},
          starts={"str": "0,0", "wrong_dim": [[0.0, 0.0, 0.0]], "nan": [[NAN, 0.0]], "empty": []},
          schedule={"unknown": "linear", "int": 3},
          steps=fam(COUNT, huge=10**9))
bad("Explorer.select", "unknown_name", lambda: (explorer.Explorer(**_ex_base(dict)()[2]).select, (), dict(gamma=1)),
    "choice")
bad("Explorer.select", "off_grid", lambda: (explorer.Explorer(**_ex_base(dict)()[2]).select, (),
                                            dict(learning_rate=0.5)), "learning_rate")


# --------------------------------------------------------------------------- the runner of the cases
def snapshot(obj, _depth=0):
    """A comparable copy of everything a refused call could have changed."""
    if _depth > 6:
        return "..."
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "O":
            return ("ndarray", obj.shape, repr(obj.tolist()))
        return ("ndarray", obj.dtype.str, obj.shape, obj.tobytes(), obj.flags.writeable)
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [snapshot(o, _depth + 1) for o in obj])
    if isinstance(obj, dict):
        return ("dict", [(repr(k), snapshot(v, _depth + 1)) for k, v in obj.items()])
    if isinstance(obj, O.Optimizer):
        return ("optimizer", obj.t, obj.last_learning_rate, snapshot(obj.state, _depth + 1))
    if isinstance(obj, O.Partition):
        return ("partition", obj.t, repr(obj.last_learning_rate), repr(obj.labels), snapshot(obj.state, _depth + 1),
                [snapshot(o, _depth + 1) for o in obj.optimizers.values()])
    if isinstance(obj, N.Module):
        return ("module", snapshot(obj.parameters(), _depth + 1))
    if isinstance(obj, A.Tensor):
        return ("tensor", snapshot(obj.data, _depth + 1), snapshot(obj.grad, _depth + 1), obj.requires_grad)
    if isinstance(obj, F.TestFunction):
        return ("function", snapshot({k: v for k, v in vars(obj).items()}, _depth + 1))
    if isinstance(obj, explorer.Explorer):
        return ("explorer", obj.setting)
    if isinstance(obj, (int, float, complex, str, bytes, type(None))):
        return repr(obj)
    return ("object", type(obj).__name__)


# words that say what was expected
EXPECTED = re.compile(r"must|need|expected|known|only|should|takes|does not|do not|not a|one of|unknown|refuses|"
                      r"out of|pass |use |draws", re.IGNORECASE)


def _watched(fn, args, kwargs):
    return (getattr(fn, "__self__", None), args, kwargs)


def _params(cases):
    for c in cases:
        yield pytest.param(c, id=c.id)


@pytest.fixture(scope="module")
def open_figure():
    """One figure open throughout, so that "no new figure" is not "no figure at all"."""
    fig = plt.figure()
    yield fig
    plt.close(fig)


@pytest.mark.parametrize("case", list(_params(CASES)))
def test_hostile_call_is_refused_and_changes_nothing(case, open_figure):
    start = set(plt.get_fignums())
    try:
        fn, args, kwargs = case.make()
        before, figures = snapshot(_watched(fn, args, kwargs)), plt.get_fignums()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # the refusal is what is tested, not numpy's warnings on the way
            with pytest.raises(case.exc) as info:
                fn(*args, **kwargs)
        assert type(info.value) in (TypeError, ValueError, IndexError), f"{type(info.value).__name__}: {info.value}"
        message = str(info.value)
        assert re.search(rf"(?<![A-Za-z_]){re.escape(case.arg)}(?![A-Za-z_])", message), \
            f"the message does not name {case.arg!r}: {message}"
        assert EXPECTED.search(message), f"the message does not say what was expected: {message}"
        assert snapshot(_watched(fn, args, kwargs)) == before, "a refused call changed its arguments or state"
        assert plt.get_fignums() == figures, "a refused call left a figure open"
    finally:
        for num in set(plt.get_fignums()) - start:   # figures the case itself made (an ax argument)
            plt.close(num)


@pytest.mark.parametrize("target", sorted(t for t, b in BASES.items() if b is not None))
def test_the_base_calls_are_valid(target):
    """Each hostile case differs from a call that works in one argument only."""
    fn, args, kwargs = BASES[target]()
    fn(*args, **kwargs)
    plt.close("all")


def test_every_public_callable_has_hostile_cases():
    covered = {c.target for c in CASES}
    public = public_callables()
    missing = sorted(set(public) - covered - set(EXEMPT))
    assert not missing, f"public callables with no hostile cases in tests/test_hostile.py: {missing}"
    stale = sorted(set(EXEMPT) - set(public))
    assert not stale, f"EXEMPT names that are no longer public: {stale}"
    assert not set(EXEMPT) & covered, "a name is both exempt and covered"


def test_the_suite_is_large():
    """Report the count (the issue's probe made 1,811 calls); keep well above the table's floor."""
    assert len(CASES) >= 1000, len(CASES)


# --------------------------------------------------------------------------- a nan in is a nan out
NAN_OUT = {
    "derivatives.relative_error": lambda: D.relative_error(NAN, 1.0),
    "functions.value": lambda: F.Quadratic().value(np.array([NAN, 0.0])),
    "functions.grad": lambda: F.Rosenbrock().grad(np.array([NAN, 0.0]))[0],
    "losses.mse_loss": lambda: L.mse_loss(np.array([NAN]), np.array([0.0]))[0],
    "losses.softmax": lambda: L.softmax(np.array([[NAN, 0.0]]))[0, 0],
    "autograd.Tensor": lambda: (A.Tensor(np.array([NAN])) * 2.0).data[0],
    "nn.accuracy": lambda: N.accuracy(N.Linear(2, 3), np.full((4, 2), NAN), np.array([0, 1, 2, 0])),
    "nn.Linear.forward_numpy": lambda: N.Linear(2, 3).forward_numpy(np.array([[NAN, 0.0]]))[0, 0],
    "clipping.clip_grad_norm": lambda: K.clip_grad_norm([np.array([NAN, 1.0])], 1.0),
    "optim.newton_schulz": lambda: O.newton_schulz(np.array([[NAN, 1.0]]))[0, 1],
}


@pytest.mark.parametrize("name", sorted(NAN_OUT))
def test_a_nan_in_gives_a_nan_out(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert math.isnan(float(NAN_OUT[name]())), name


@pytest.mark.parametrize("name", sorted(O.OPTIMIZERS))
def test_a_nan_gradient_propagates_and_is_documented(name):
    x = np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        O.OPTIMIZERS[name](learning_rate=0.1).step(x, np.array([NAN, 1.0, 1.0]))
    assert math.isnan(x[0]) and np.all(np.isfinite(x[1:]))
    assert "a nan in gives a nan out" in O.Optimizer.__doc__


# --------------------------------------------------------------------------- fuzzing with hypothesis
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10), st.text(max_size=4), st.lists(st.floats(-5, 5), max_size=3),
    st.just(np.array([1.0, None], dtype=object)), st.just(np.array([1j, 2.0])), st.just(np.array([], float)),
    st.just(np.ones((2, 2), dtype=np.float16)), st.just(np.array([True, False])),
)
NAMELESS = (AttributeError, ZeroDivisionError, KeyError, IndexError, NotImplementedError, AssertionError)

# (callable, keyword to fuzz, the other keywords of a valid call)
FUZZ = [
    (D.partial_derivative, "i", dict(f=sq, x=np.ones(2))),
    (D.numerical_gradient, "h", dict(f=sq, x=np.ones(2))),
    (F.Quadratic, "condition_number", {}), (F.Rosenbrock, "b", {}), (F.get_function, "name", {}),
    (S.exponential_decay, "k", dict(learning_rate=0.1)), (S.cosine_decay, "total_steps", dict(learning_rate=0.1)),
    (S.constant(0.1), "step", {}), (S.warmup, "schedule", dict(warmup_steps=3)),
    (O.Adam, "beta1", {}), (O.RMSProp, "decay_rate", {}), (O.Momentum, "mu", {}), (O.SGD, "learning_rate", {}),
    (L.softmax, "scores", {}), (L.svm_loss, "delta", dict(scores=np.ones((2, 3)), y=np.array([0, 1]))),
    (N.Linear, "init", dict(n_in=2, n_out=2)), (N.MLP, "sizes", {}),
    (G.spiral, "noise", dict(n_per_class=3)), (G.blobs, "centers", dict(n_per_class=3)),
    (G.linear_regression, "w", dict(n_samples=3)), (A.Tensor, "data", {}),
]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(FUZZ) - 1), value=JUNK)
def test_junk_is_accepted_or_refused_by_name_never_with_a_nameless_error(index, value):
    fn, arg, kwargs = FUZZ[index]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(**{**kwargs, arg: value})
    except (TypeError, ValueError) as exc:
        assert arg in str(exc), f"{getattr(fn, '__name__', fn)}({arg}={value!r}): {exc}"
    except NAMELESS as exc:  # pragma: no cover - what this test exists to catch
        pytest.fail(f"{getattr(fn, '__name__', fn)}({arg}={value!r}) raised {type(exc).__name__}: {exc}")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(name=st.sampled_from(sorted(O.OPTIMIZERS)), grad=JUNK)
def test_step_with_junk_grads_updates_fully_or_changes_nothing(name, grad):
    opt = O.OPTIMIZERS[name](learning_rate=0.1)
    x = np.ones(2)
    opt.step(x, np.ones(2))
    before = snapshot((x, opt))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.step(x, grad)
    except (TypeError, ValueError) as exc:
        assert "grads" in str(exc)
        assert snapshot((x, opt)) == before
    else:
        assert opt.t == 2


# --------------------------------------------------------------------------- dtypes (issue 11, item 3)
def _default(cls, **kw):
    return cls(learning_rate=0.01, **kw)


def _trajectory(cls, dtype, steps=20, **kw):
    opt = _default(cls, **kw)
    rng = np.random.default_rng(0)
    params = [np.array(rng.standard_normal((4, 3)), dtype=dtype), np.array(rng.standard_normal(3), dtype=dtype)]
    for _ in range(steps):
        opt.step(params, [2.0 * p.astype(np.float64) + 0.1 for p in params])   # float64 grads, cast to the dtype
    return opt, params


@pytest.mark.parametrize("name", sorted(O.OPTIMIZERS))
def test_float32_keeps_its_dtype_in_params_and_state(name):
    cls = O.OPTIMIZERS[name]
    opt32, p32 = _trajectory(cls, np.float32)
    _, p64 = _trajectory(cls, np.float64)
    for a, b in zip(p32, p64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for state in opt32.state:
        for key, buf in state.items():
            if isinstance(buf, np.ndarray):
                assert buf.dtype == np.float32, (name, key, buf.dtype)


@pytest.mark.parametrize("name", sorted(O.OPTIMIZERS))
def test_float16_keeps_its_dtype_or_refuses_an_eps_that_underflows(name):
    cls = O.OPTIMIZERS[name]
    eps = getattr(_default(cls), "eps", None)
    if eps is not None and np.float16(eps) == 0:
        opt = _default(cls)
        x = np.ones(3, dtype=np.float16)
        with pytest.raises(ValueError, match=r"Invalid eps: .* rounds to 0 .* float16"):
            opt.step(x, np.ones(3))
        assert opt.t == 0 and opt.state == [] and np.all(x == 1)
        kw = {"eps": 1e-4}
    else:
        kw = {}
    opt16, p16 = _trajectory(cls, np.float16, **kw)
    _, p64 = _trajectory(cls, np.float64, **kw)
    for a, b in zip(p16, p64):
        assert a.dtype == np.float16
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a.astype(np.float64), b, rtol=2e-2, atol=2e-2)
    for state in opt16.state:
        for key, buf in state.items():
            if isinstance(buf, np.ndarray):
                assert buf.dtype == np.float16, (name, key, buf.dtype)


@pytest.mark.parametrize("name", sorted(O.OPTIMIZERS))
def test_each_optimizer_docstring_says_what_it_does_with_float32_and_float16(name):
    doc = O.OPTIMIZERS[name].__doc__ or ""
    assert "float16" in doc and "float32" in doc, f"{name}'s docstring says nothing of float32/float16"


def test_a_gradient_aliasing_its_parameter_is_read_before_the_update():
    """``step(x, x)`` (the gradient of x**2/2 is x) must use the gradient as it was."""
    for name, cls in O.OPTIMIZERS.items():
        a, b = np.array([1.0, -2.0]), np.array([1.0, -2.0])
        opt_a, opt_b = cls(learning_rate=0.1), cls(learning_rate=0.1)
        for _ in range(3):
            opt_a.step(a, a)
            opt_b.step(b, b.copy())
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_tuple_index_with_repeats_adds_up():
    x = A.Tensor(np.arange(6.0).reshape(3, 2))
    x[(0, 0, 1), :].sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 2], [1, 1], [0, 0]])
    y = A.Tensor(np.arange(6.0).reshape(3, 2))
    y[[0, 0, 1], :].sum().backward()
    np.testing.assert_array_equal(x.grad, y.grad)


# --------------------------------------------------------------------------- read-only and float16 inputs are read, never refused
def _ro(a):
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


def _f16(a):
    return np.asarray(a, dtype=np.float16)


# calls that only read their arrays: a read-only array (np.broadcast_to, a memory-mapped file) or a
# float16 one must work and give what float64 input gives
READERS = {
    "numerical_gradient": lambda w: D.numerical_gradient(sq, w([1.0, -2.0])),
    "partial_derivative": lambda w: D.partial_derivative(sq, w([1.0, -2.0]), 1),
    "numerical_hessian": lambda w: D.numerical_hessian(sq, w([1.0, -2.0])),
    "gradient_check": lambda w: D.gradient_check(sq, w([1.0, -2.0]), w([2.0, -4.0])).max_rel_error < 1e-6,
    "relative_error": lambda w: D.relative_error(w([1.0, 2.0]), w([1.0, 2.5])),
    "TestFunction.value": lambda w: F.Rosenbrock().value(w([[0.5, 0.5], [1.0, 1.0]])),
    "TestFunction.grad": lambda w: F.Himmelblau().grad(w([0.5, 0.5])),
    "Quadratic(center)": lambda w: F.Quadratic(center=w([1.0, 2.0]), eigenvalues=w([1.0, 4.0])).value(np.zeros(2)),
    "softmax": lambda w: L.softmax(w([[1.0, 2.0], [0.0, 0.0]])),
    "svm_loss": lambda w: L.svm_loss(w([[1.0, 2.0], [0.0, 0.5]]), np.array([0, 1]))[0],
    "mse_loss": lambda w: L.mse_loss(w([1.0, 2.0]), w([0.0, 2.0]))[0],
    "Tensor": lambda w: (lambda t: (t.sum().backward(), t.grad)[1])(A.Tensor(w([1.0, 2.0]))),
    "Linear.forward_numpy": lambda w: N.Linear(2, 2, seed=0).forward_numpy(w([[1.0, 2.0]])),
    "accuracy": lambda w: N.accuracy(N.Linear(2, 3, seed=0), w([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1])),
    "minibatches": lambda w: [yb for _, yb in G.minibatches(w([[1.0], [2.0], [3.0]]), np.arange(3), 2, shuffle=False)],
    "blobs(centers)": lambda w: G.blobs(n_per_class=3, centers=w([[0.0, 0.0], [4.0, 4.0]]))[0],
    "minimize(x0)": lambda w: R.minimize(F.Quadratic(), w([1.0, 1.0]), O.SGD(0.1), max_steps=5).x,
}


def _same(a, b):
    if isinstance(a, (list, tuple)):
        return all(_same(x, y) for x, y in zip(a, b))
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-3, atol=1e-3, equal_nan=True)


@pytest.mark.parametrize("name", sorted(READERS))
def test_read_only_and_float16_inputs_are_read(name):
    reference = READERS[name](lambda a: np.array(a, dtype=float))
    assert _same(READERS[name](_ro), reference), "read-only input"
    assert _same(READERS[name](_f16), reference), "float16 input"   # values exact in float16 here


def test_train_reads_read_only_data_and_leaves_it_alone():
    X, y = _data()
    X_ro, y_ro = _ro(X), np.array(y)
    y_ro.flags.writeable = False
    model_a, model_b = N.MLP([2, 4, 3], seed=1), N.MLP([2, 4, 3], seed=1)
    N.train(model_a, X, y, O.Adam(0.01), epochs=3, batch_size=2)
    N.train(model_b, X_ro, y_ro, O.Adam(0.01), epochs=3, batch_size=2)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- every argument of every base call, with junk
SWEEP_JUNK = {
    "None": None, "True": True, "7": 7, "-3": -3, "0": 0, "0.37": 0.37, "nan": NAN, "inf": INF, "2j": 2j,
    "'x'": "x", "'1'": "1", "[]": [], "[0.5, 1.5]": [0.5, 1.5], "[[1.0, 2.0]]": [[1.0, 2.0]],
    "object array": _obj_none, "complex array": lambda: np.array([1j, 2.0]), "empty array": lambda: np.array([]),
    "float16 array": lambda: np.ones((2, 2), np.float16), "bool array": lambda: np.array([True, False]),
    "dict": {"a": 1}, "(1, 2)": (1, 2), "a function returning None": lambda: (lambda *a, **k: None),
}
# what a check may raise when the junk is the student's function or what it returned (that is the check working)
STUDENT_FAILURES = (C.CheckFailed, D.GradientCheckError)


def _sweep_params():
    for target in sorted(t for t, b in BASES.items() if b is not None):
        yield pytest.param(target, id=target)


@pytest.mark.parametrize("target", list(_sweep_params()))
def test_junk_in_any_argument_is_accepted_or_refused_by_name(target, open_figure):
    """Each keyword of the valid base call, replaced by each junk value: the call works, or raises a
    TypeError/ValueError naming one of its arguments (a mismatch may rightly blame the other one)."""
    problems = []
    _, _, kwargs0 = BASES[target]()
    for arg in kwargs0:
        for label, value in SWEEP_JUNK.items():
            start = set(plt.get_fignums())
            fn, args, kwargs = BASES[target]()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fn(*args, **{**kwargs, arg: _fresh(value)})
            except (TypeError, ValueError) as exc:
                if not any(re.search(rf"(?<![A-Za-z_]){re.escape(k)}(?![A-Za-z_])", str(exc)) for k in kwargs):
                    problems.append(f"{arg}={label}: {type(exc).__name__} naming no argument: {exc}")
            except STUDENT_FAILURES:
                pass
            except Exception as exc:  # noqa: BLE001 - what this test exists to catch
                problems.append(f"{arg}={label}: nameless {type(exc).__name__}: {exc}")
            finally:
                for num in set(plt.get_fignums()) - start:
                    plt.close(num)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- Explorer methods
def _explorer():
    return explorer.Explorer(**_ex_base(dict)()[2])


table("Explorer.save_html", lambda: (_explorer().save_html, (), dict(path="unused.html")),
      path={"fd_int": 3, "none": None, "list": ["a.html"]}, title={"int": 3, "none": None})
BASES["Explorer.save_html"] = None   # would write a file
table("Explorer.select", lambda: (_explorer().select, (), dict(learning_rate=0.1)),
      learning_rate={"off_grid": 0.5, "nan": NAN, "str": "0.1", "list": [0.1], "none": None})


# --------------------------------------------------------------------------- methods of the public classes
for _mname, _module in [("Linear", lambda: N.Linear(2, 3)), ("ReLU", N.ReLU), ("MLP", lambda: N.MLP([2, 4, 3]))]:
    table("Module.forward", lambda _m=_module: (_m().forward, (), dict(x=A.Tensor(np.ones((4, 2))))),
          x={f"{_mname}-{k}": v for k, v in fam(NOT_REAL_ARRAY, none=None).items()})
table("Optimizer.learning_rate_at", lambda: (O.SGD(learning_rate=S.constant(0.1)).learning_rate_at, (), dict(k=3)),
      k={"negative": -1, "float": 1.5, "str": "3", "none": None, "bool": True})

# classes whose public methods with arguments must each have hostile cases here
METHOD_CLASSES = {"Optimizer": O.Optimizer, "TestFunction": F.TestFunction, "Tensor": A.Tensor,
                  "Module": N.Module, "Explorer": explorer.Explorer}


def test_every_public_method_with_arguments_has_hostile_cases():
    import inspect

    covered = {c.target for c in CASES}
    missing = []
    for cname, cls in METHOD_CLASSES.items():
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") or not callable(member):
                continue
            if [p for p in inspect.signature(member).parameters if p != "self"] and f"{cname}.{name}" not in covered:
                missing.append(f"{cname}.{name}")
    assert not missing, f"public methods with arguments and no hostile cases: {missing}"


@pytest.mark.parametrize("name", sorted(O.OPTIMIZERS))
def test_read_only_broadcast_grads_and_strided_params_are_fine(name):
    """Grads may be read-only (np.broadcast_to gives a zero-stride read-only view); params may be
    strided views, updated in place in their base array."""
    cls = O.OPTIMIZERS[name]
    base = np.ones((4, 3))
    view = base[::2, 1:]                                  # a strided, writable view
    plain = view.copy()
    g_ro = np.broadcast_to(np.array([0.5, -1.0]), view.shape)
    opt_a, opt_b = cls(learning_rate=0.1), cls(learning_rate=0.1)
    for _ in range(3):
        opt_a.step(view, g_ro)
        opt_b.step(plain, np.array(g_ro))
    np.testing.assert_array_equal(view, plain)
    np.testing.assert_array_equal(base[1::2], 1.0)       # the rows between are untouched
    np.testing.assert_array_equal(base[::2, 0], 1.0)
