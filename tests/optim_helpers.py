"""What the optimizer tests share: a snapshot of an optimizer and its arrays, and the check that a
refused call changed nothing (the arrays, the step count, the state's buffers and their values)."""
import numpy as np


def snapshot(opt, arrays):
    return ([a.copy() for a in arrays], opt.t,
            [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()} for s in opt.state])


def assert_unchanged(before, opt, arrays):
    xs, t, state = before
    for a, b in zip(arrays, xs):
        np.testing.assert_array_equal(a, b)
    assert opt.t == t
    assert [set(s) for s in opt.state] == [set(s) for s in state]
    for s, s0 in zip(opt.state, state):
        for k in s0:
            np.testing.assert_array_equal(s[k], s0[k])
