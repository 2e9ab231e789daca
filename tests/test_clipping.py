"""clip_grad_norm and clip_grad_value against torch.nn.utils' definitions, by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

import gdlib as gd


def torch_clip_grad_norm(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_ (norm_type=2, error_if_nonfinite=False), transcribed, fresh arrays."""
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    clip_coef = max_norm / (total + 1e-6)
    clamped = min(clip_coef, 1.0) if not math.isnan(clip_coef) else clip_coef
    return total, [g * clamped for g in grads]


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 7.0, 1e3])
def test_clip_grad_norm_equals_torchs_definition(max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5), rng.normal(size=(2, 1, 2))]
    total_ref, clipped_ref = torch_clip_grad_norm([g.copy() for g in grads], max_norm)
    total = gd.clip_grad_norm(grads, max_norm)
    assert total == pytest.approx(total_ref, rel=1e-15)
    for g, ref in zip(grads, clipped_ref):
        np.testing.assert_allclose(g, ref, rtol=1e-15)
    after = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    assert after <= max_norm + 1e-12
    if total > max_norm:
        assert after == pytest.approx(max_norm, rel=1e-6)       # the 1e-6 in torch's denominator


def test_clip_grad_norm_keeps_the_direction_and_returns_the_norm_before():
    grads = [np.array([30.0, 0.0]), np.array([[0.0], [40.0]])]
    assert gd.clip_grad_norm(grads, 5.0) == 50.0
    np.testing.assert_allclose(grads[0], [3.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(grads[1], [[0.0], [4.0]], rtol=1e-6)
    g = np.array([0.3, 0.4])
    assert gd.clip_grad_norm(g, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(g, [0.3, 0.4])               # under the cap: not touched
    assert gd.clip_grad_norm([], 1.0) == 0.0


def test_clip_grad_norm_keeps_float32_and_a_nan_gives_nans():
    g = np.array([300.0, 400.0], dtype=np.float32)
    assert gd.clip_grad_norm(g, 1.0) == 500.0
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-6)
    grads = [np.array([1.0, np.nan]), np.array([2.0])]
    assert math.isnan(gd.clip_grad_norm(grads, 1.0))
    assert np.all(np.isnan(grads[0])) and np.all(np.isnan(grads[1]))


def test_clip_grad_value_clamps_in_place():
    grads = [np.array([-5.0, 0.2, 3.0]), np.array([[0.5, -0.9], [10.0, np.nan]])]
    assert gd.clip_grad_value(grads, 1.0) is None
    np.testing.assert_array_equal(grads[0], [-1.0, 0.2, 1.0])
    np.testing.assert_array_equal(grads[1][0], [0.5, -0.9])
    assert grads[1][1, 0] == 1.0 and math.isnan(grads[1][1, 1])


@pytest.mark.parametrize("fn, kw", [(gd.clip_grad_norm, "max_norm"), (gd.clip_grad_value, "clip_value")])
@pytest.mark.parametrize("value, exc", [(0.0, ValueError), (-1.0, ValueError), (math.inf, ValueError),
                                        (math.nan, ValueError), ("1", TypeError), (None, TypeError),
                                        (True, TypeError)])
def test_bad_limits_are_refused_by_name_and_change_nothing(fn, kw, value, exc):
    grads = [np.array([30.0, 40.0])]
    with pytest.raises(exc, match=f"Invalid {kw}: "):
        fn(grads, **{kw: value})
    np.testing.assert_array_equal(grads[0], [30.0, 40.0])


@pytest.mark.parametrize("fn, kw", [(gd.clip_grad_norm, "max_norm"), (gd.clip_grad_value, "clip_value")])
def test_bad_grads_are_refused_by_name_and_change_nothing(fn, kw):
    g = np.array([30.0, 40.0])
    ro = np.array([30.0, 40.0])
    ro.flags.writeable = False
    for grads, exc in [([g, [1.0, 2.0]], TypeError), ([g, np.array([3, 4])], TypeError), (None, TypeError),
                       (3.0, TypeError), ([g, ro], ValueError), ([g, g], ValueError), ([g, g[:1]], ValueError)]:
        with pytest.raises(exc, match="Invalid grads"):
            fn(grads, **{kw: 1.0})
        np.testing.assert_array_equal(g, [30.0, 40.0])
