"""Schedules against their closed forms, their laws, and their input checks."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gdlib as gd

steps = st.integers(0, 10_000)


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-4, 1.0), st.floats(0, 1.0), st.integers(1, 50), steps)
def test_exponential_decay_closed_forms(lr0, k, s, t):
    assert math.isclose(gd.exponential_decay(lr0, k, decay_steps=s)(t), lr0 * math.exp(-k * t / s), rel_tol=1e-12)
    assert math.isclose(gd.exponential_decay(lr0, k, decay_steps=s, staircase=True)(t),
                        lr0 * math.exp(-k * (t // s)), rel_tol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-4, 1.0), st.floats(0.01, 1.0), st.integers(1, 50), steps)
def test_step_decay_closed_form(lr0, drop, every, t):
    assert math.isclose(gd.step_decay(lr0, drop=drop, every=every)(t), lr0 * drop ** (t // every),
                        rel_tol=1e-12, abs_tol=1e-300)


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-4, 1.0), st.floats(0, 10.0), steps)
def test_inverse_time_decay_closed_form(lr0, k, t):
    assert math.isclose(gd.inverse_time_decay(lr0, k)(t), lr0 / (1 + k * t), rel_tol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-3, 1.0), st.integers(1, 1000), st.floats(0, 1), steps)
def test_cosine_decay_closed_form_and_bounds(lr0, T, frac, t):
    lrT = frac * lr0
    value = gd.cosine_decay(lr0, T, final_learning_rate=lrT)(t)
    expected = lrT + 0.5 * (lr0 - lrT) * (1 + math.cos(math.pi * min(t, T) / T))
    assert math.isclose(value, expected, rel_tol=1e-12, abs_tol=1e-15)
    assert lrT - 1e-15 <= value <= lr0 + 1e-15


@pytest.mark.parametrize("make", [
    lambda: gd.exponential_decay(0.1, 0.01),
    lambda: gd.exponential_decay(0.1, 0.3, decay_steps=7, staircase=True),
    lambda: gd.step_decay(0.1, 0.5, 10),
    lambda: gd.inverse_time_decay(0.1, 0.5),
    lambda: gd.cosine_decay(0.1, 300, 0.001),
])
def test_decays_never_increase_and_arrays_match_scalars(make):
    s = make()
    t = np.arange(1000)
    values = s(t)
    assert values.shape == (1000,)
    assert np.all(np.diff(values) <= 1e-15)
    np.testing.assert_array_equal(values[[0, 17, 999]], [s(0), s(17), s(999)])


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-3, 1.0), st.integers(1, 100), st.floats(0, 1), st.integers(0, 1000))
def test_warmup_ramps_linearly_then_hands_over(peak, W, frac, t):
    inner = gd.cosine_decay(peak, 500)
    s = gd.warmup(inner, warmup_steps=W, initial_learning_rate=frac * peak)
    if t < W:
        assert math.isclose(s(t), frac * peak + t / W * (peak - frac * peak), rel_tol=1e-12)
    else:
        assert math.isclose(s(t), inner(t - W), rel_tol=1e-12, abs_tol=1e-15)


def test_warmup_of_a_number_and_repr():
    s = gd.warmup(0.1, warmup_steps=10, initial_learning_rate=0.01)
    assert s(100) == pytest.approx(0.1)
    assert "warmup(constant(0.1)" in repr(s)


@pytest.mark.parametrize("call, match", [
    (lambda: gd.constant(0), "Invalid learning_rate: 0.0"),
    (lambda: gd.exponential_decay(0.1, -1), "Invalid k: -1.0"),
    (lambda: gd.exponential_decay(0.1, 1, decay_steps=0), "Invalid decay_steps: 0"),
    (lambda: gd.step_decay(0.1, drop=1.5), r"Invalid drop: 1.5 \(must be in \(0, 1\]\)"),
    (lambda: gd.step_decay(0.1, every=0), "Invalid every: 0"),
    (lambda: gd.inverse_time_decay(float("inf"), 1), "Invalid learning_rate: inf"),
    (lambda: gd.cosine_decay(0.1, 0), "Invalid total_steps: 0"),
    (lambda: gd.cosine_decay(0.1, 10, final_learning_rate=0.2), "Invalid final_learning_rate: 0.2"),
    (lambda: gd.warmup(gd.constant(0.1), 0), "Invalid warmup_steps: 0"),
    (lambda: gd.constant(0.1)(-1), "Invalid step: -1"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_type_errors():
    with pytest.raises(TypeError, match="Invalid every: 2.5"):
        gd.step_decay(0.1, every=2.5)
    with pytest.raises(TypeError, match="Invalid learning_rate: '0.1'"):
        gd.constant("0.1")


def test_a_default_warmup_starts_with_a_step_that_does_not_move():
    opt = gd.Momentum(learning_rate=gd.warmup(0.1, warmup_steps=5), mu=0.9)
    x = np.ones(2)
    opt.step(x, np.ones(2))
    np.testing.assert_array_equal(x, np.ones(2))          # rate 0 at step 0
    assert opt.t == 1 and opt.last_learning_rate == 0.0
    opt.step(x, np.ones(2))                               # rate 0.02 at step 1
    np.testing.assert_allclose(x, 1 - 0.02)
    with pytest.raises(ValueError, match="schedule returned -0.1 at step 0"):
        gd.SGD(learning_rate=lambda k: -0.1)
