"""Lion against the paper's Algorithm 2; Muon and newton_schulz against a float64 transcription of
torch.optim.Muon's code (torch 2.13, torch/optim/_muon.py), and against torch's own trajectories recorded by
`make references` (tests/references/muon.npz), so nothing here needs torch."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import gdlib as gd

REFERENCES = Path(__file__).resolve().parent / "references"


# ----------------------------------------------------------------------------------------- Lion
def lion_paper(x, grads, lr, beta1, beta2, wd):
    """Chen et al. 2023, Algorithm 2, line by line, fresh arrays (lr may be a schedule)."""
    x, m = x.copy(), np.zeros_like(x)
    for k, g in enumerate(grads):
        eta = lr(k) if callable(lr) else lr
        c = beta1 * m + (1 - beta1) * g            # update = interp(g, m, beta1)
        update = np.sign(c) + wd * x               # sign, plus decoupled decay
        x = x - eta * update
        m = beta2 * m + (1 - beta2) * g            # momentum update with beta2
    return x, m


@pytest.mark.parametrize("wd", [0.0, 0.3])
@pytest.mark.parametrize("lr", [0.01, gd.cosine_decay(0.05, total_steps=60)])
def test_lion_follows_the_papers_lines(lr, wd):
    rng = np.random.default_rng(1)
    x0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) * rng.uniform(0.01, 10) for _ in range(60)]
    x = x0.copy()
    opt = gd.Lion(learning_rate=lr, beta1=0.8, beta2=0.95, weight_decay=wd)
    for g in grads:
        opt.step(x, g)
    x_ref, m_ref = lion_paper(x0, grads, lr, 0.8, 0.95, wd)
    np.testing.assert_allclose(x, x_ref, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(opt.state[0]["m"], m_ref, rtol=1e-13, atol=1e-15)
    assert opt.t == 60 and opt.state[0]["t"] == 60


def test_lion_moves_every_coordinate_by_the_learning_rate():
    x = np.zeros(4)
    opt = gd.Lion(learning_rate=0.1)
    opt.step(x, np.array([1e-6, -3.0, 1e3, 0.0]))
    np.testing.assert_array_equal(x, [-0.1, 0.1, -0.1, 0.0])
    # the direction mixes in the gradient with weight 1-beta1: a flipped gradient smaller than
    # beta1/(1-beta1) * |m| does not flip the step
    x = np.zeros(1)
    opt = gd.Lion(learning_rate=0.1, beta1=0.9, beta2=0.0)   # beta2=0: m is the last gradient
    opt.step(x, np.array([1.0]))
    opt.step(x, np.array([-8.0]))            # c = 0.9*1 - 0.1*8 = 0.1 > 0: still a step down
    np.testing.assert_allclose(x, [-0.2])
    opt.step(x, np.array([1.0]))             # c = 0.9*(-8) + 0.1 < 0: step up
    np.testing.assert_allclose(x, [-0.1])


def test_lion_defaults_and_registry():
    opt = gd.get_optimizer("lion")
    assert isinstance(opt, gd.Lion)
    assert opt.hyperparameters == dict(learning_rate=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0)


@pytest.mark.parametrize("kwargs, name", [(dict(beta1=1.0), "beta1"), (dict(beta2=-0.1), "beta2"),
                                          (dict(weight_decay=-1e-3), "weight_decay"),
                                          (dict(learning_rate=0.0), "learning_rate")])
def test_lion_refuses_bad_hyperparameters_by_name(kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid {name}: "):
        gd.Lion(**kwargs)


# ----------------------------------------------------------------------------------------- Muon
A, B, C = 3.4445, -4.7750, 2.0315


def torch_zeropower_float64(grad, ns_steps, eps):
    """torch/optim/_muon.py `_zeropower_via_newtonschulz`, transcribed to numpy in float64
    (torch casts to bfloat16 first: `ortho_grad = grad.bfloat16()`)."""
    ortho_grad = grad.astype(np.float64)
    if grad.shape[0] > grad.shape[1]:
        ortho_grad = ortho_grad.T
    ortho_grad = ortho_grad / max(np.linalg.norm(ortho_grad), eps)      # .norm().clamp(min=eps)
    for _ in range(ns_steps):
        gram_matrix = ortho_grad @ ortho_grad.T
        gram_update = B * gram_matrix + C * (gram_matrix @ gram_matrix)  # addmm(gram, gram, gram, beta=b, alpha=c)
        ortho_grad = A * ortho_grad + gram_update @ ortho_grad           # addmm(ortho, gram_update, ortho, beta=a)
    if grad.shape[0] > grad.shape[1]:
        ortho_grad = ortho_grad.T
    return ortho_grad


def torch_muon_float64(param, grads, lr, momentum, nesterov, ns_steps, weight_decay, eps):
    """torch/optim/_muon.py `_single_tensor_muon` (adjust_lr_fn=None), transcribed, float64."""
    param = param.copy()
    buf = np.zeros_like(param)
    for grad in grads:
        buf = buf + (1 - momentum) * (grad - buf)                         # buf.lerp_(grad, 1 - momentum)
        update = grad + momentum * (buf - grad) if nesterov else buf      # grad.lerp(buf, momentum)
        update = torch_zeropower_float64(update, ns_steps, eps)
        A_, B_ = param.shape[:2]
        adjusted_lr = lr * math.sqrt(max(1, A_ / B_))                     # _adjust_lr, "original"
        param = param * (1 - lr * weight_decay)
        param = param - adjusted_lr * update
    return param, buf


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (5, 5), (1, 3)])
@pytest.mark.parametrize("nesterov, wd", [(True, 0.0), (False, 0.0), (True, 0.1)])
def test_muon_follows_a_float64_transcription_of_torch(shape, nesterov, wd):
    rng = np.random.default_rng(2)
    W0 = rng.normal(size=shape)
    grads = [rng.normal(size=shape) * rng.uniform(0.01, 10) for _ in range(40)]
    W = W0.copy()
    opt = gd.Muon(learning_rate=0.02, mu=0.9, nesterov=nesterov, ns_steps=5, weight_decay=wd)
    for g in grads:
        opt.step(W, g)
    W_ref, buf = torch_muon_float64(W0, grads, 0.02, 0.9, nesterov, 5, wd, 1e-7)
    np.testing.assert_allclose(W, W_ref, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(opt.state[0]["m"], buf, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape", ["8x5", "5x8", "16x16"])
def test_muon_follows_torch_itself_up_to_bfloat16(shape):
    """torch.optim.Muon's own trajectories, recorded by `make references` (tests/references/muon.npz)."""
    z = np.load(REFERENCES / "muon.npz", allow_pickle=False)
    meta = json.loads(str(z["meta"]))
    kw = meta["torch_kwargs"]
    Ws, grads = z[f"{shape}/W"], z[f"{shape}/grad"]
    W = Ws[0].copy()
    opt = gd.Muon(learning_rate=kw["lr"], mu=kw["momentum"], nesterov=kw["nesterov"], ns_steps=kw["ns_steps"],
                  weight_decay=kw["weight_decay"], eps=kw["eps"])
    for k, g in enumerate(grads):
        opt.step(W, g)
        step_gd, step_torch = W - Ws[0], Ws[k + 1] - Ws[0]
        # bfloat16 has 8 significant bits: the steps agree to about 1e-2, not to rounding
        assert np.linalg.norm(step_gd - step_torch) / np.linalg.norm(step_torch) < 3e-2, (shape, k)


def test_muon_refuses_a_vector_and_changes_nothing():
    opt = gd.Muon()
    W, b = np.ones((3, 2)), np.ones(2)
    with pytest.raises(ValueError, match=r"Invalid params\[1\]: shape \(2,\) \(Muon updates 2-D matrices only"):
        opt.step([W, b], [np.ones((3, 2)), np.ones(2)])
    assert opt.t == 0 and opt.state == [] and np.all(W == 1) and np.all(b == 1)
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2\)"):
        opt.step(np.ones((2, 2, 2)), np.ones((2, 2, 2)))


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(mu=1.0), ValueError, "mu"), (dict(nesterov="yes"), TypeError, "nesterov"),
    (dict(nesterov=1), TypeError, "nesterov"), (dict(ns_steps=0), ValueError, "ns_steps"),
    (dict(ns_steps=100), ValueError, "ns_steps"), (dict(ns_steps=2.0), TypeError, "ns_steps"),
    (dict(weight_decay=-0.1), ValueError, "weight_decay"), (dict(eps=0.0), ValueError, "eps")])
def test_muon_refuses_bad_hyperparameters_by_name(kwargs, exc, name):
    with pytest.raises(exc, match=f"Invalid {name}: "):
        gd.Muon(**kwargs)


def test_muon_keeps_float32_and_its_step_is_the_float64_step_rounded():
    rng = np.random.default_rng(4)
    W64 = rng.normal(size=(4, 3))
    W32 = W64.astype(np.float32)
    o32, o64 = gd.Muon(learning_rate=0.05), gd.Muon(learning_rate=0.05)
    for _ in range(10):
        g = rng.normal(size=(4, 3))
        o32.step(W32, g)
        o64.step(W64, g)
    assert W32.dtype == np.float32 and o32.state[0]["m"].dtype == np.float32
    np.testing.assert_allclose(W32, W64, rtol=1e-5, atol=1e-6)


def test_muon_is_not_offered_where_optimizers_run_on_points():
    assert "muon" not in gd.OPTIMIZERS and "lion" in gd.OPTIMIZERS
    with pytest.raises(ValueError, match="Invalid optimizer: 'muon'"):
        gd.get_optimizer("muon")


# ------------------------------------------------------------------------------ newton_schulz
def test_newton_schulz_equals_the_transcription_and_keeps_the_singular_vectors():
    rng = np.random.default_rng(5)
    G = rng.normal(size=(7, 4)) @ np.diag([30.0, 3.0, 1.0, 0.05])
    G_before = G.copy()
    X = gd.newton_schulz(G)
    np.testing.assert_array_equal(G, G_before)                       # not modified
    np.testing.assert_allclose(X, torch_zeropower_float64(G, 5, 1e-7), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gd.newton_schulz(G.T), X.T, rtol=1e-12, atol=1e-14)
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    D = U.T @ X @ Vt.T                                               # diagonal: same singular vectors
    np.testing.assert_allclose(D - np.diag(np.diag(D)), 0.0, atol=1e-12)
    # each singular value went through the quintic p five times
    sigma = s / np.linalg.norm(G)
    for _ in range(5):
        sigma = A * sigma + B * sigma ** 3 + C * sigma ** 5
    np.testing.assert_allclose(np.diag(D), sigma, rtol=1e-10)


def test_newton_schulz_pushes_singular_values_into_a_band_around_one():
    rng = np.random.default_rng(0)
    lo, hi = np.inf, 0.0
    for _ in range(200):
        G = rng.normal(size=(rng.integers(2, 40), rng.integers(2, 40))) * rng.uniform(0.01, 100)
        s = np.linalg.svd(gd.newton_schulz(G), compute_uv=False)
        lo, hi = min(lo, s.min()), max(hi, s.max())
    assert 0.67 < lo < 0.7 and 1.15 < hi < 1.21, (lo, hi)          # the docstring's [0.68, 1.2]
    s0 = np.linalg.svd(np.diag([10.0, 1.0, 0.1]), compute_uv=False)
    s5 = np.linalg.svd(gd.newton_schulz(np.diag([10.0, 1.0, 0.1])), compute_uv=False)
    assert s0.max() / s0.min() == pytest.approx(100) and s5.max() / s5.min() < 1.02


def test_newton_schulz_of_zero_is_zero_and_bad_inputs_are_refused_by_name():
    np.testing.assert_array_equal(gd.newton_schulz(np.zeros((2, 3))), 0.0)
    with pytest.raises(ValueError, match=r"Invalid G: shape \(3,\)"):
        gd.newton_schulz(np.ones(3))
    with pytest.raises(TypeError, match="Invalid G: dtype complex"):
        gd.newton_schulz(np.ones((2, 2), complex))
    with pytest.raises(ValueError, match="Invalid steps: 0"):
        gd.newton_schulz(np.ones((2, 2)), steps=0)
    with pytest.raises(ValueError, match="Invalid eps: "):
        gd.newton_schulz(np.ones((2, 2)), eps=-1.0)


def test_newton_schulz_band_holds_from_0_16_percent_of_the_norm_only():
    # the docstring: after five steps, singular values that started at >= 1.6e-3 ||G||_F lie in
    # [0.68, 1.21] (>= 1e-2 ||G||_F: [0.68, 1.14]); from 1e-3 ||G||_F one reaches only 0.47
    def five_steps(ratio):
        G = np.diag([1.0, ratio])               # ||G||_F = sqrt(1 + ratio^2), about 1
        return np.linalg.svd(gd.newton_schulz(G), compute_uv=False).min()
    ratios = np.logspace(np.log10(1.6e-3), 0, 400)
    lows = np.array([np.linalg.svd(gd.newton_schulz(np.diag([1.0, r])), compute_uv=False) for r in ratios])
    assert lows.min() >= 0.68 and lows.max() <= 1.21, (lows.min(), lows.max())
    wide = lows[ratios >= 1e-2]
    assert wide.min() >= 0.68 and wide.max() <= 1.14, (wide.min(), wide.max())
    assert five_steps(1e-3) == pytest.approx(0.4705, abs=1e-3)
    assert five_steps(1.4e-3) < 0.68                 # the condition is needed: just below, out of the band
    assert five_steps(0.0) == 0.0                    # a zero singular value stays 0


def test_muon_lr_factor_reads_the_shape_as_given():
    # the docstring's layout note: the same layer stored (in, out) or (out, in) gets steps
    # sqrt(fan_in / fan_out) apart; for a square matrix the layout does not matter
    rng = np.random.default_rng(0)
    for fan_in, fan_out in [(64, 10), (10, 64), (16, 16)]:
        G = rng.normal(size=(fan_in, fan_out))                      # gdlib's layout (in, out)
        W_gdlib, W_torch = np.zeros((fan_in, fan_out)), np.zeros((fan_out, fan_in))
        gd.Muon(learning_rate=0.1, mu=0.0, nesterov=False).step(W_gdlib, G)
        gd.Muon(learning_rate=0.1, mu=0.0, nesterov=False).step(W_torch, G.T.copy())
        np.testing.assert_allclose(W_gdlib, np.sqrt(fan_in / fan_out) * W_torch.T, rtol=1e-10, atol=1e-15)
