"""Tests of gdlib.checks: correct answers pass with one line, deliberately wrong ones fail with
a sentence that names what was expected, what came back and where to look."""
import re

import numpy as np
import pytest

import gdlib as gd
from gdlib import checks
from gdlib.checks import CheckFailed, ExerciseNotImplemented


# --------------------------------------------------------------------------- correct reference answers
def ng_loop(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def momentum_step(x, dx, v, learning_rate, mu):
    v = mu * v - learning_rate * dx
    return x + v, v


def nesterov_step(x, dx, v, learning_rate, mu):
    v_prev = v
    v = mu * v - learning_rate * dx
    return x - mu * v_prev + (1 + mu) * v, v


def adagrad_step(x, dx, cache, learning_rate, eps):
    cache = cache + dx**2
    return x - learning_rate * dx / (np.sqrt(cache) + eps), cache


def rmsprop_step(x, dx, cache, learning_rate, decay_rate, eps):
    cache = decay_rate * cache + (1 - decay_rate) * dx**2
    return x - learning_rate * dx / (np.sqrt(cache) + eps), cache


def adam_step(x, dx, m, v, t, learning_rate, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * dx
    v = beta2 * v + (1 - beta2) * dx**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return x - learning_rate * m_hat / (np.sqrt(v_hat) + eps), m, v


def gradient_descent(grad, x0, learning_rate, n_steps):
    x = np.array(x0, dtype=float)
    xs = [x.copy()]
    for _ in range(n_steps):
        x = x - learning_rate * grad(x)
        xs.append(x.copy())
    return np.array(xs)


def find_divergence_threshold(f, x0, learning_rates, n_steps=100):
    for lr in learning_rates:
        xs = gradient_descent(f.grad, x0, lr, n_steps)
        if not np.isfinite(f(xs[-1])) or f(xs[-1]) > 1e3 * f(x0):
            return float(lr)
    return None


def two_layer_backward(X, y, W1, b1, W2, b2):
    pre = X @ W1 + b1
    h = np.maximum(0, pre)
    scores = h @ W2 + b2
    loss, dscores = gd.softmax_cross_entropy(scores, y)
    dW2 = h.T @ dscores
    db2 = dscores.sum(axis=0)
    dh = dscores @ W2.T * (pre > 0)
    return loss, X.T @ dh, dh.sum(axis=0), dW2, db2


NS = (3.4445, -4.7750, 2.0315)


def newton_schulz(G, steps=5, coefficients=NS, normalise="fro", left=True, back=True, entries=False):
    """The quintic iteration; the keywords make the known wrong variants."""
    a, b, c = coefficients
    X = np.array(G, dtype=float)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T
    if normalise == "fro":
        X = X / np.linalg.norm(X)
    elif normalise == "spectral":
        X = X / np.linalg.norm(X, 2)
    for _ in range(steps):
        if entries:  # the scalar polynomial on each entry
            X = a * X + b * X**3 + c * X**5
            continue
        A = X @ X.T if left else X.T @ X
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall and back else X


def lion_step(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    u = np.sign(beta1 * m + (1 - beta1) * dx)
    return x - learning_rate * (u + weight_decay * x), beta2 * m + (1 - beta2) * dx


def radam_step(x, dx, m, v, t, learning_rate, beta1, beta2, eps, threshold=5.0, rectify=True, eps_on_hat=False,
               bias_corrected=True, adam=False, return_corrected=False, correct_v=True, move_early=True):
    """RAdam as torch writes it; the keywords make the known wrong variants."""
    m = beta1 * m + (1 - beta1) * dx
    v = beta2 * v + (1 - beta2) * dx**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if adam:
        x = x - learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    elif rho > threshold:
        r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) if rectify else 1.0
        if eps_on_hat:
            x = x - learning_rate * r * m_hat / (np.sqrt(v_hat) + eps)
        else:
            x = x - learning_rate * r * m_hat * (np.sqrt(1 - beta2**t) if correct_v else 1.0) / (np.sqrt(v) + eps)
    elif move_early:
        x = x - learning_rate * (m_hat if bias_corrected else m)
    return (x, m_hat, v_hat) if return_corrected else (x, m, v)


def muon_step(x, dx, m, learning_rate, mu, nesterov, scale=True, flip_nesterov=False, gradient=False, average=True,
              sum_look_ahead=False, old_m=False):
    """Muon (no weight decay) on a matrix x; the keywords make the known wrong variants."""
    m_old = m
    m = mu * m + (1 - mu) * dx if average else mu * m + dx
    look_ahead = nesterov != flip_nesterov
    blend = (dx if sum_look_ahead else (1 - mu) * dx) + mu * (m_old if old_m else m)
    u = dx if gradient else (blend if look_ahead else m)
    rows, cols = x.shape
    return x - learning_rate * (np.sqrt(max(1, rows / cols)) if scale else 1.0) * newton_schulz(u), m


def not_done(*args, **kwargs):
    raise NotImplementedError("Exercise 9.9: write it")


# --------------------------------------------------------------------------- passes print one line
@pytest.mark.parametrize(
    "check, fn, line",
    [
        (checks.check_numerical_gradient, ng_loop, "numerical_gradient: all 6 checks passed"),
        (checks.check_svm_loss_grad, lambda s, y, delta=1.0: gd.svm_loss(s, y, delta=delta),
         "svm_loss_grad: all 5 checks passed"),
        (checks.check_gradient_descent, gradient_descent, "gradient_descent: all 4 checks passed"),
        (checks.check_divergence_threshold, find_divergence_threshold, "find_divergence_threshold: all 3 checks passed"),
        (checks.check_momentum_step, momentum_step, "momentum_step: all 12 checks passed"),
        (checks.check_nesterov_step, nesterov_step, "nesterov_step: all 12 checks passed"),
        (checks.check_adagrad_step, adagrad_step, "adagrad_step: all 12 checks passed"),
        (checks.check_rmsprop_step, rmsprop_step, "rmsprop_step: all 12 checks passed"),
        (checks.check_adam_step, adam_step, "adam_step: all 12 checks passed"),
        (checks.check_two_layer_backward, two_layer_backward, "two_layer_backward: all 3 checks passed"),
        (checks.check_newton_schulz, newton_schulz, "newton_schulz: all 6 checks passed"),
        (checks.check_lion_step, lion_step, "lion_step: all 16 checks passed"),
        (checks.check_radam_step, radam_step, "radam_step: all 18 checks passed"),
        (checks.check_muon_step, muon_step, "muon_step: all 12 checks passed"),
    ],
)
def test_correct_answers_pass_with_one_line(check, fn, line, capsys):
    check(fn)
    assert capsys.readouterr().out.strip() == line


@pytest.mark.parametrize(
    "check",
    [checks.check_numerical_gradient, checks.check_svm_loss_grad, checks.check_gradient_descent,
     checks.check_divergence_threshold, checks.check_momentum_step, checks.check_nesterov_step,
     checks.check_adagrad_step, checks.check_rmsprop_step, checks.check_adam_step,
     checks.check_two_layer_backward, checks.check_newton_schulz, checks.check_lion_step, checks.check_radam_step,
     checks.check_muon_step, checks.check_sign_schedule],
)
def test_stub_raises_readable_not_implemented(check):
    with pytest.raises(ExerciseNotImplemented) as info:
        check(not_done)
    msg = str(info.value)
    assert "is not written yet" in msg and "Exercise 9.9: write it" in msg and "YOUR CODE HERE" in msg
    # catchable both ways: as a failed check and as the NotImplementedError it reports
    assert isinstance(info.value, CheckFailed) and isinstance(info.value, NotImplementedError)
    assert info.value.__suppress_context__  # no second traceback of the stub


def test_crash_in_student_code_is_named():
    with pytest.raises(CheckFailed, match=r"numerical_gradient crashed with ZeroDivisionError: division by zero"):
        checks.check_numerical_gradient(lambda f, x, h=1e-5: 1 / 0)


def test_not_callable_is_a_type_error():
    with pytest.raises(TypeError, match="Invalid numerical_gradient: 3"):
        checks.check_numerical_gradient(3)


# --------------------------------------------------------------------------- lab 1
def test_numerical_gradient_sign():
    with pytest.raises(CheckFailed) as info:
        checks.check_numerical_gradient(lambda f, x, h=1e-5: -ng_loop(f, x, h))
    msg = str(info.value)
    assert "case 1" in msg and "component 0: expected 2, got -2" in msg and "check the sign" in msg


def test_numerical_gradient_forward_difference_is_recognised():
    def forward(f, x, h=1e-5):
        x = np.array(x, dtype=float)
        g = np.zeros_like(x)
        fx = f(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            g[i] = (f(x) - fx) / h
            x[i] = old
        return g

    with pytest.raises(CheckFailed, match="one-sided difference, whose error is O\\(h\\)"):
        checks.check_numerical_gradient(forward)


def test_numerical_gradient_divide_by_h_not_2h():
    with pytest.raises(CheckFailed, match="divide by 2h"):
        checks.check_numerical_gradient(lambda f, x, h=1e-5: 2 * ng_loop(f, x, h))


def test_numerical_gradient_modifying_x():
    def sloppy(f, x, h=1e-5):
        g = ng_loop(f, x, h)
        x += h
        return g

    with pytest.raises(CheckFailed, match="left the caller's x modified \\(component 0 is now 1.00001, was 1\\)"):
        checks.check_numerical_gradient(sloppy)


def test_numerical_gradient_rows_instead_of_entries():
    def rows(f, x, h=1e-5):
        x = np.array(x, dtype=float)
        g = np.zeros_like(x)
        for i in range(len(x)):
            old = x[i].copy()
            x[i] = old + h
            fp = f(x)
            x[i] = old - h
            fm = f(x)
            x[i] = old
            g[i] = (fp - fm) / (2 * h)
        return g

    with pytest.raises(CheckFailed, match=r"case 4 .*entry \(0, 0\): .*shift one entry at a time"):
        checks.check_numerical_gradient(rows)


def test_numerical_gradient_only_first_axis_or_wrong_shape():
    def rows_only(f, x, h=1e-5):
        return ng_loop(f, x, h).ravel()

    with pytest.raises(CheckFailed, match=r"case 4 .*shape \(6,\), expected shape \(2, 3\); reshape it like the input"):
        checks.check_numerical_gradient(rows_only)
    with pytest.raises(CheckFailed, match="the gradient is None; did you forget a return statement"):
        checks.check_numerical_gradient(lambda f, x, h=1e-5: None)


def test_check_gradient_circuit_names_component():
    f = lambda x, y, z: (x + y) * z  # noqa: E731
    right = lambda x, y, z: (z, z, x + y)  # noqa: E731
    checks.check_gradient(right, f, [(-2.0, 5.0, -4.0), (1.0, 2.0, 3.0)], name="circuit_backward", unpack=True)
    with pytest.raises(CheckFailed, match=r"component 2: expected 3, got -7"):
        checks.check_gradient(lambda x, y, z: (z, z, x - y), f, [(-2.0, 5.0, -4.0)], name="c", unpack=True)
    with pytest.raises(CheckFailed, match=r"return 3 values \(dx, dy, dz\), got 2 values"):
        checks.check_gradient(lambda x, y, z: (z, z), f, [(-2.0, 5.0, -4.0)], name="c", unpack=True)
    neuron = lambda w0, x0, w1, x1, w2: 1 / (1 + np.exp(-(w0 * x0 + w1 * x1 + w2)))  # noqa: E731
    with pytest.raises(CheckFailed, match=r"at \(w0, x0, w1, x1, w2\) = \[2, -1, -3, -2, -3\]: .* component 0: "
                                          r"expected -0.196612, got 0"):
        checks.check_gradient(lambda *a: (0.0,) * 5, neuron, [(2.0, -1.0, -3.0, -2.0, -3.0)], name="n", unpack=True,
                              arg_names=["w0", "x0", "w1", "x1", "w2"])
    with pytest.raises(ValueError, match="Invalid arg_names"):
        checks.check_gradient(right, f, [(1.0, 2.0, 3.0)], unpack=True, arg_names=["a"])
    # array form
    g = lambda x: np.array([2 * x[0], -2 * x[1]])  # noqa: E731
    checks.check_gradient(g, lambda x: x[0] ** 2 - x[1] ** 2, [[1.0, 2.0]])
    with pytest.raises(CheckFailed, match=r"at x = \[1, 2\]: the gradient is wrong in component 1: expected -4, got 4"):
        checks.check_gradient(lambda x: 2 * x, lambda x: x[0] ** 2 - x[1] ** 2, [[1.0, 2.0]])


def test_svm_hints():
    def no_count(s, y, delta=1.0):
        loss, grad = gd.svm_loss(s, y, delta=delta)
        n = s.shape[0]
        rows = np.arange(n)
        grad[rows, y] = -(grad[rows, y] != 0).astype(float) / n  # -1/N instead of -count/N
        return loss, grad

    with pytest.raises(CheckFailed, match="case 2 .*minus the number of violating classes"):
        checks.check_svm_loss_grad(no_count)

    def no_mean(s, y, delta=1.0):
        loss, grad = gd.svm_loss(s, y, delta=delta)
        return loss, grad * s.shape[0]

    with pytest.raises(CheckFailed, match="case 2 .*divide the gradient by N too"):
        checks.check_svm_loss_grad(no_mean)

    def summed_loss(s, y, delta=1.0):
        loss, grad = gd.svm_loss(s, y, delta=delta)
        return loss * s.shape[0], grad

    with pytest.raises(CheckFailed, match="the loss is wrong: .*mean over the N samples"):
        checks.check_svm_loss_grad(summed_loss)

    with pytest.raises(CheckFailed, match=r"return 2 values \(loss, dscores\), got float"):
        checks.check_svm_loss_grad(lambda s, y, delta=1.0: 0.0)


# --------------------------------------------------------------------------- lab 2
def test_gradient_descent_uphill():
    def uphill(grad, x0, learning_rate, n_steps):
        x = np.array(x0, dtype=float)
        xs = [x.copy()]
        for _ in range(n_steps):
            x = x + learning_rate * grad(x)
            xs.append(x.copy())
        return np.array(xs)

    with pytest.raises(CheckFailed, match="iterate 1 is wrong in component 0: .*you stepped uphill: check the sign"):
        checks.check_gradient_descent(uphill)


def test_gradient_descent_count_and_x0():
    with pytest.raises(CheckFailed, match="you returned 20 points, expected 21: x0 first, then one point per step"):
        checks.check_gradient_descent(lambda grad, x0, learning_rate, n_steps: gradient_descent(
            grad, x0, learning_rate, n_steps)[1:])

    with pytest.raises(CheckFailed, match=r"you returned one point of shape \(2,\); return every iterate"):
        checks.check_gradient_descent(lambda grad, x0, learning_rate, n_steps: gradient_descent(
            grad, x0, learning_rate, n_steps)[-1])

    def in_place(grad, x0, learning_rate, n_steps):
        xs = [x0.copy()]
        for _ in range(n_steps):
            x0 -= learning_rate * grad(x0)
            xs.append(x0.copy())
        return np.array(xs)

    with pytest.raises(CheckFailed, match="your function modified x0"):
        checks.check_gradient_descent(in_place)


def test_divergence_threshold_messages():
    with pytest.raises(CheckFailed, match=r"expected 0.23 \(the first rate above 2/L = 0.2\), got 0.18; .*too strict"):
        checks.check_divergence_threshold(
            lambda f, x0, lrs, n_steps=100: find_divergence_threshold(f, x0, lrs, n_steps=3) or 0.18)
    with pytest.raises(CheckFailed, match="got None; is your divergence test too lax"):
        checks.check_divergence_threshold(lambda f, x0, lrs, n_steps=100: None)
    with pytest.raises(CheckFailed, match="case 3 .*the answer is None; got 0.15"):
        checks.check_divergence_threshold(
            lambda f, x0, lrs, n_steps=100: find_divergence_threshold(f, x0, lrs) or float(lrs[-1]))


# --------------------------------------------------------------------------- lab 4
def test_momentum_sign_and_learning_rate():
    def plus(x, dx, v, learning_rate, mu):
        v = mu * v + learning_rate * dx
        return x + v, v

    with pytest.raises(CheckFailed, match="step 1 of 6 .*the returned v is wrong in component 0.*check the sign"):
        checks.check_momentum_step(plus)

    def no_lr(x, dx, v, learning_rate, mu):
        v = mu * v - dx
        return x + v, v

    with pytest.raises(CheckFailed, match="multiply the gradient by learning_rate"):
        checks.check_momentum_step(no_lr)


def test_nesterov_plain_momentum_is_recognised():
    with pytest.raises(CheckFailed, match="step 1 of 6 .*that is the plain momentum step"):
        checks.check_nesterov_step(momentum_step)


def test_adagrad_eps_inside_root_and_overwritten_cache():
    def inside(x, dx, cache, learning_rate, eps):
        cache = cache + dx**2
        return x - learning_rate * dx / np.sqrt(cache + eps), cache

    with pytest.raises(CheckFailed, match="eps goes outside the square root"):
        checks.check_adagrad_step(inside)

    def overwrite(x, dx, cache, learning_rate, eps):
        cache = dx**2
        return x - learning_rate * dx / (np.sqrt(cache) + eps), cache

    with pytest.raises(CheckFailed, match="step 2 of 6 .*cache accumulates the squared gradients"):
        checks.check_adagrad_step(overwrite)


def test_rmsprop_notes_typo_is_recognised():
    def typo(x, dx, cache, learning_rate, decay_rate, eps):
        cache = cache + decay_rate * cache + (1 - decay_rate) * dx**2
        return x - learning_rate * dx / (np.sqrt(cache) + eps), cache

    with pytest.raises(CheckFailed) as info:
        checks.check_rmsprop_step(typo)
    msg = str(info.value)
    assert msg.startswith("rmsprop_step, step 2 of 6 (learning_rate=0.01, decay_rate=0.99, eps=1e-07")
    assert "the returned cache is wrong in component 0: expected" in msg
    assert "replace it each step instead of adding to it" in msg

    def swapped(x, dx, cache, learning_rate, decay_rate, eps):
        cache = (1 - decay_rate) * cache + decay_rate * dx**2
        return x - learning_rate * dx / (np.sqrt(cache) + eps), cache

    with pytest.raises(CheckFailed, match="decay_rate weighs the old cache"):
        checks.check_rmsprop_step(swapped)


def test_adam_in_place_correction_and_missing_correction():
    def notes(x, dx, m, v, t, learning_rate, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * dx**2
        m /= 1 - beta1**t
        v /= 1 - beta2**t
        return x - learning_rate * m / (np.sqrt(v) + eps), m, v

    with pytest.raises(CheckFailed, match="step 1 of 6 .*the returned m is wrong.*return the uncorrected moments"):
        checks.check_adam_step(notes)

    def uncorrected(x, dx, m, v, t, learning_rate, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * dx**2
        return x - learning_rate * m / (np.sqrt(v) + eps), m, v

    with pytest.raises(CheckFailed, match="the returned x is wrong.*apply the bias correction with t"):
        checks.check_adam_step(uncorrected)


def test_step_returning_wrong_arity():
    with pytest.raises(CheckFailed, match=r"return 2 values \(x, v\), got ndarray"):
        checks.check_momentum_step(lambda x, dx, v, learning_rate, mu: x)


# --------------------------------------------------------------------------- lab 3
def test_two_layer_hints():
    def no_gate(X, y, W1, b1, W2, b2):
        loss, dW1, db1, dW2, db2 = two_layer_backward(X, y, W1, b1, W2, b2)
        h = np.maximum(0, X @ W1 + b1)
        _, dscores = gd.softmax_cross_entropy(h @ W2 + b2, y)
        dh = dscores @ W2.T  # forgot the ReLU gate
        return loss, X.T @ dh, dh.sum(axis=0), dW2, db2

    with pytest.raises(CheckFailed, match="dW1 is wrong in entry .*ReLU gate"):
        checks.check_two_layer_backward(no_gate)

    def bias_not_summed(X, y, W1, b1, W2, b2):
        loss, dW1, db1, dW2, db2 = two_layer_backward(X, y, W1, b1, W2, b2)
        return loss, dW1, db1, dW2, db2 / X.shape[0]

    with pytest.raises(CheckFailed, match="db2 is wrong .*sums dscores over the batch axis"):
        checks.check_two_layer_backward(bias_not_summed)

    def times_n(X, y, W1, b1, W2, b2):
        loss, dW1, db1, dW2, db2 = two_layer_backward(X, y, W1, b1, W2, b2)
        return loss, dW1, db1, dW2 * X.shape[0], db2

    with pytest.raises(CheckFailed, match="dW2 is wrong .*N times too large"):
        checks.check_two_layer_backward(times_n)


# --------------------------------------------------------------------------- lab 5
def test_check_schedule():
    def exp_decay(learning_rate, k):
        return lambda step: learning_rate * np.exp(-k * step)

    settings = [{"learning_rate": 0.1, "k": 0.05}, {"learning_rate": 1.0, "k": 0.0}]
    checks.check_schedule(exp_decay, "exponential_decay", settings)

    def wrong(learning_rate, k):
        return lambda step: learning_rate * np.exp(-k * step / 2)

    with pytest.raises(CheckFailed, match="step 0 is right, so look at how the rate changes with the step"):
        checks.check_schedule(wrong, "exponential_decay", settings)
    with pytest.raises(CheckFailed, match="returned float, expected a function of the step"):
        checks.check_schedule(lambda learning_rate, k: learning_rate, "exponential_decay", settings)
    with pytest.raises(ValueError, match="Invalid reference: 'nope'"):
        checks.check_schedule(exp_decay, "nope", settings)


def test_check_accuracy(capsys):
    checks.check_accuracy(0.97, 0.95, what="spiral accuracy")
    assert capsys.readouterr().out.strip() == "spiral accuracy: 0.970 >= 0.950, check passed"
    with pytest.raises(CheckFailed, match="spiral accuracy is 0.900, below the target 0.950; train longer"):
        checks.check_accuracy(0.9, 0.95, what="spiral accuracy", hint="train longer")
    with pytest.raises(CheckFailed, match="is None"):
        checks.check_accuracy(None, 0.95)
    checks.check_accuracy(lambda: 0.96, 0.95, what="digits accuracy")
    assert capsys.readouterr().out.strip() == "digits accuracy: 0.960 >= 0.950, check passed"
    with pytest.raises(ExerciseNotImplemented, match="train_it is not written yet"):
        checks.check_accuracy(not_done, 0.95, name="train_it")
    with pytest.raises(ValueError, match="Invalid target: 2"):
        checks.check_accuracy(0.5, 2)


def test_check_digits_training_refuses_a_constant_schedule():
    def train(X, y, schedule, epochs):  # pragma: no cover - never reached
        raise AssertionError("must not train with a constant schedule")

    with pytest.raises(CheckFailed, match="the schedule is constant"):
        checks.check_digits_training(train, lambda total: (lambda step: 0.1), epochs=2, target=0.9)
    with pytest.raises(CheckFailed, match=r"rates at steps \[0, 1, 21, 43, 85\] are \[0.1, -0.1, .*must be finite and >= 0"):
        checks.check_digits_training(train, lambda total: (lambda step: 0.1 if step == 0 else -0.1), epochs=2,
                                     target=0.9)
    with pytest.raises(ExerciseNotImplemented, match="make_schedule is not written yet"):
        checks.check_digits_training(train, not_done, epochs=2, target=0.9)


def test_check_digits_training_end_to_end(capsys):
    def make_schedule(total_steps):  # a warmup from 0 is allowed (the optimizers accept a rate of 0 then)
        return gd.schedules.warmup(gd.schedules.cosine_decay(0.1, total_steps - 10), 10)

    def train(X, y, schedule, epochs):
        model = gd.MLP([64, 64, 10], seed=0)
        gd.nn.train(model, X, y, gd.SGD(learning_rate=schedule), epochs=epochs, batch_size=32)
        return model

    checks.check_digits_training(train, make_schedule, epochs=3, target=0.9)
    assert "digits test accuracy after 3 epochs" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="below the target 0.999; your schedule gives .* at steps .*; try a larger initial rate"):
        checks.check_digits_training(train, make_schedule, epochs=1, target=0.999)


# --------------------------------------------------------------------------- slips found by playing the student
def test_failure_renders_as_the_sentence_not_gdlib_internals():
    # in Jupyter, IPython shows a CheckFailed through _render_traceback_: the sentence, no frame of gdlib
    with pytest.raises(CheckFailed) as info:
        checks.check_numerical_gradient(lambda f, x, h=1e-5: -ng_loop(f, x, h))
    lines = info.value._render_traceback_()
    assert len(lines) == 1 and lines[0].endswith(str(info.value)) and "CheckFailed" in lines[0]
    assert "gdlib/checks.py" not in "\n".join(lines)


def test_crash_renders_the_students_frames_only():
    def numerical_gradient(f, x, h=1e-5):
        return np.zeros(3) + np.zeros(2)  # a shape slip in the student's own line

    with pytest.raises(CheckFailed, match="crashed with ValueError") as info:
        checks.check_numerical_gradient(numerical_gradient)
    text = "\n".join(info.value._render_traceback_())
    assert "np.zeros(3) + np.zeros(2)" in text  # the student's line is shown
    assert "gdlib/checks.py" not in text and "_call" not in text  # the check's frames are not
    assert text.rstrip().endswith(str(info.value))


@pytest.mark.parametrize("check, fn, match", [
    (checks.check_numerical_gradient, lambda f, x, h=1e-5: list(ng_loop(f, x, h)),
     r"the gradient is a list, expected a numpy array of shape \(3,\); convert it with np.array"),
    (checks.check_gradient_descent, lambda grad, x0, learning_rate, n_steps: list(
        gradient_descent(grad, x0, learning_rate, n_steps)),
     r"you returned a list; return a numpy array of shape \(21, 2\)"),
    (checks.check_momentum_step, lambda x, dx, v, learning_rate, mu: (list(momentum_step(x, dx, v, learning_rate, mu)[0]),
                                                                      momentum_step(x, dx, v, learning_rate, mu)[1]),
     r"the returned x is a list, expected a numpy array"),
])
def test_a_list_instead_of_an_array_is_named(check, fn, match):
    with pytest.raises(CheckFailed, match=match):
        check(fn)


def test_check_gradient_refuses_a_list():
    f = lambda x: float(x[0] ** 2 + 3 * x[1])  # noqa: E731
    checks.check_gradient(lambda x: np.array([2 * x[0], 3.0]), f, [[1.0, 2.0]])
    with pytest.raises(CheckFailed, match="the gradient is a list"):
        checks.check_gradient(lambda x: [2 * x[0], 3.0], f, [[1.0, 2.0]])


def test_numerical_gradient_integer_input_and_modified_x_shown_with_enough_digits():
    def int_unsafe(f, x, h=1e-5):  # shifts the caller's (integer) array in place: truncated to 0
        grad = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            fp = f(x)
            x[i] = old - h
            fm = f(x)
            x[i] = old
            grad[i] = (fp - fm) / (2 * h)
        return grad

    with pytest.raises(CheckFailed, match=r"case 6 .*integer.*expected 2, got 50000; x holds integers here.*float copy"):
        checks.check_numerical_gradient(int_unsafe)

    def unrestored(f, x, h=1e-5):
        x = np.asarray(x, dtype=float)
        g = ng_loop(f, x, h)
        x[0] -= h
        return g

    with pytest.raises(CheckFailed, match=r"component 0 is now 0.99999, was 1\)"):
        checks.check_numerical_gradient(unrestored)


def test_gradient_descent_aliasing_and_stale_gradient():
    def aliasing(grad, x0, learning_rate, n_steps):
        x = np.array(x0, dtype=float)
        xs = [x]
        for _ in range(n_steps):
            x -= learning_rate * grad(x)
            xs.append(x)
        return np.array(xs)

    with pytest.raises(CheckFailed, match=r"every row of your array is the same point.*append a copy"):
        checks.check_gradient_descent(aliasing)

    def stale(grad, x0, learning_rate, n_steps):
        g = grad(x0)
        return np.array([x0 - k * learning_rate * g for k in range(n_steps + 1)])

    with pytest.raises(CheckFailed, match=r"iterate 2 is wrong.*iterate 1 is right: evaluate the gradient at the "
                                          r"current point"):
        checks.check_gradient_descent(stale)


def test_divergence_threshold_index_instead_of_rate():
    def index(f, x0, learning_rates, n_steps=100):
        rate = find_divergence_threshold(f, x0, learning_rates, n_steps)
        return None if rate is None else int(np.flatnonzero(learning_rates == rate)[0])

    with pytest.raises(CheckFailed, match=r"you returned 4, the position of the rate in the grid; return the "
                                          r"learning rate itself \(0.23\)"):
        checks.check_divergence_threshold(index)


def test_two_layer_order_transpose_and_double_average():
    def swapped(X, y, W1, b1, W2, b2):
        loss, dW1, db1, dW2, db2 = two_layer_backward(X, y, W1, b1, W2, b2)
        return loss, dW2, db2, dW1, db1

    with pytest.raises(CheckFailed, match=r"dW2 has shape \(3, 4\), expected shape \(4, 3\); that is the shape of "
                                          r"W1 .*return the five values in the order"):
        checks.check_two_layer_backward(swapped)

    def transposed(X, y, W1, b1, W2, b2):
        loss, dW1, db1, dW2, db2 = two_layer_backward(X, y, W1, b1, W2, b2)
        return loss, dW1, db1, dW2.T, db2

    with pytest.raises(CheckFailed, match=r"dW2 has shape \(3, 4\).*the shape of W1 and of W2 transposed"):
        checks.check_two_layer_backward(transposed)

    def double_mean(X, y, W1, b1, W2, b2):
        loss, *grads = two_layer_backward(X, y, W1, b1, W2, b2)
        return (loss, *[g / X.shape[0] for g in grads])

    with pytest.raises(CheckFailed, match=r"N times too small.*already holds the 1/N"):
        checks.check_two_layer_backward(double_mean)


def test_step_values_in_the_wrong_order():
    with pytest.raises(CheckFailed, match=r"right but in the wrong order: you returned \(v, x\); return \(x, v\)"):
        checks.check_momentum_step(lambda *a, **k: momentum_step(*a, **k)[::-1])

    def adam_xvm(*a, **k):
        x, m, v = adam_step(*a, **k)
        return x, v, m

    with pytest.raises(CheckFailed, match=r"you returned \(x, v, m\); return \(x, m, v\)"):
        checks.check_adam_step(adam_xvm)


def adam_with_t(shift):
    def step(x, dx, m, v, t, learning_rate, beta1, beta2, eps):
        return adam_step(x, dx, m, v, t + shift, learning_rate, beta1, beta2, eps)[0], \
            beta1 * m + (1 - beta1) * dx, beta2 * v + (1 - beta2) * dx**2
    return step


def test_adam_off_by_one_in_t_is_named():
    with np.errstate(all="ignore"), pytest.raises(CheckFailed, match=r"not finite.*t counts the steps from 1"):
        checks.check_adam_step(adam_with_t(-1))
    with pytest.raises(CheckFailed, match=r"use t as it is passed in"):
        checks.check_adam_step(adam_with_t(+1))


def test_adam_folded_forms(capsys):
    def folded_exact(x, dx, m, v, t, learning_rate, beta1, beta2, eps):  # equal to the course's formula
        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * dx**2
        step_size = learning_rate * np.sqrt(1 - beta2**t) / (1 - beta1**t)
        return x - step_size * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2**t)), m, v

    checks.check_adam_step(folded_exact)
    assert capsys.readouterr().out.strip() == "adam_step: all 12 checks passed"

    def folded_keras(x, dx, m, v, t, learning_rate, beta1, beta2, eps):  # eps added to sqrt(v), not sqrt(v_hat)
        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * dx**2
        step_size = learning_rate * np.sqrt(1 - beta2**t) / (1 - beta1**t)
        return x - step_size * m / (np.sqrt(v) + eps), m, v

    with pytest.raises(CheckFailed, match=r"folded the bias corrections into the step size.*eps \* sqrt\(1 - beta2"):
        checks.check_adam_step(folded_keras)


def test_alternative_correct_steps_pass(capsys):
    def nesterov_folded(x, dx, v, learning_rate, mu):
        return x + mu * mu * v - (1 + mu) * learning_rate * dx, mu * v - learning_rate * dx

    def rmsprop_lerp(x, dx, cache, learning_rate, decay_rate, eps):
        cache = cache + (1 - decay_rate) * (dx**2 - cache)
        return x - learning_rate * dx / (np.sqrt(cache) + eps), cache

    def adam_in_place(x, dx, m, v, t, learning_rate, beta1, beta2, eps):
        m *= beta1
        m += (1 - beta1) * dx
        v *= beta2
        v += (1 - beta2) * dx * dx
        x -= learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return x, m, v

    checks.check_nesterov_step(nesterov_folded)
    checks.check_rmsprop_step(rmsprop_lerp)
    checks.check_adam_step(adam_in_place)
    assert capsys.readouterr().out.count("all 12 checks passed") == 3


def test_schedule_messages_name_the_step():
    def no_return(learning_rate, k):
        def schedule(step):
            learning_rate * np.exp(-k * step)  # noqa: B018 (the slip: no return)
        return schedule

    with pytest.raises(CheckFailed, match=r"returned None at step 0; did its inner function forget a return"):
        checks.check_schedule(no_return, "exponential_decay", [{"learning_rate": 0.1, "k": 0.05}])

    def unclipped(learning_rate, total_steps, final_learning_rate=0.0):
        return lambda step: final_learning_rate + 0.5 * (learning_rate - final_learning_rate) * (
            1 + np.cos(np.pi * step / total_steps))

    with pytest.raises(CheckFailed, match=r"at step 150: the learning rate is wrong: expected 0, got 0.05; it is "
                                          r"right up to step 100 = total_steps.*clip the step"):
        checks.check_schedule(unclipped, "cosine_decay", [{"learning_rate": 0.1, "total_steps": 100}],
                              steps=(0, 1, 10, 50, 100, 150))

    def shifted(learning_rate, k):
        return lambda step: learning_rate * np.exp(-k * (step + 1))

    with pytest.raises(CheckFailed, match=r"at step 0: .*your step 0 gives the rate of step 1"):
        checks.check_schedule(shifted, "exponential_decay", [{"learning_rate": 0.1, "k": 0.05}])


def test_check_digits_training_refuses_the_history_for_the_model():
    def train(X, y, schedule, epochs):
        model = gd.MLP([64, 16, 10], seed=0)
        return gd.nn.train(model, X[:64], y[:64], gd.SGD(learning_rate=schedule), epochs=1, batch_size=32)

    with pytest.raises(CheckFailed, match=r"train_digits returned dict, expected the trained network.*gd.nn.train "
                                          r"returns the loss history"):
        checks.check_digits_training(train, lambda total: gd.schedules.cosine_decay(0.1, total), epochs=1,
                                     target=0.5)


# --------------------------------------------------------------------------- lab 6: each known slip gets its hint
def _variant(fn, **kwargs):
    def wrong(*args, **kw):
        return fn(*args, **kw, **kwargs)
    return wrong


@pytest.mark.parametrize("kwargs, message", [
    (dict(normalise=None), r"case 1 .*not finite.*divide G by its Frobenius norm"),
    (dict(normalise="spectral"), r"case 1 .*not by the largest singular value"),
    (dict(coefficients=(1.5, -0.5, 0.0)), r"case 1 .*that is the cubic Newton–Schulz iteration"),
    (dict(coefficients=(3.4445, 2.0315, -4.7750)), r"case 1 .*the two are swapped"),
    (dict(left=False), r"case 2 \(a random 4x4 matrix.*Y Y\^T \(rows x rows\) multiplies Y from the left"),
    (dict(back=False), r"case 4 .*has shape \(3, 6\), expected shape \(6, 3\); you transposed the tall matrix"),
    (dict(entries=True), r"case 2 .*that is the polynomial applied to each entry \(Y\*\*3, Y\*\*5 act entry by entry\)"),
])
def test_newton_schulz_slips_are_named(kwargs, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_newton_schulz(_variant(newton_schulz, **kwargs))


def test_newton_schulz_steps_and_modified_input_are_named():
    with pytest.raises(CheckFailed, match=r"case 5 .*1 step.*that is 5 iterations; run exactly steps = 1"):
        checks.check_newton_schulz(lambda G, steps=5: newton_schulz(G, 5))
    with pytest.raises(CheckFailed, match=r"case 1 .*that is 4 iterations; run exactly steps = 5"):
        checks.check_newton_schulz(lambda G, steps=5: newton_schulz(G, steps - 1))

    def in_place(G, steps=5):
        G /= np.linalg.norm(G)
        return newton_schulz(G, steps)

    with pytest.raises(CheckFailed, match=r"case 1 .*your function modified G"):
        checks.check_newton_schulz(in_place)


def test_newton_schulz_without_the_transpose_passes(capsys):
    """Transposing a tall matrix only saves work: iterating on it as it is is the same map."""
    def plain(G, steps=5):
        X = G / np.linalg.norm(G)
        for _ in range(steps):
            A = X @ X.T
            X = 3.4445 * X + (-4.7750 * A + 2.0315 * A @ A) @ X
        return X

    checks.check_newton_schulz(plain)
    assert capsys.readouterr().out.strip() == "newton_schulz: all 6 checks passed"


def _lion_m_first(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    m = beta2 * m + (1 - beta2) * dx
    return x - learning_rate * (np.sign(beta1 * m + (1 - beta1) * dx) + weight_decay * x), m


def _lion_signum(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    m = beta2 * m + (1 - beta2) * dx
    return x - learning_rate * (np.sign(m) + weight_decay * x), m


def _lion_beta2_direction(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    u = np.sign(beta2 * m + (1 - beta2) * dx)
    return x - learning_rate * (u + weight_decay * x), beta2 * m + (1 - beta2) * dx


def _lion_coupled(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    g = dx + weight_decay * x
    return lion_step(x, g, m, learning_rate, beta1, beta2, 0.0)


def _lion_unscaled(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    x_new, m_new = lion_step(x, dx, m, learning_rate, beta1, beta2, 0.0)
    return x_new - weight_decay * x, m_new


def _lion_no_sign(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    blend = beta1 * m + (1 - beta1) * dx
    return x - learning_rate * (blend + weight_decay * x), beta2 * m + (1 - beta2) * dx


def _lion_decay_after(x, dx, m, learning_rate, beta1, beta2, weight_decay):
    x_mid, m_new = lion_step(x, dx, m, learning_rate, beta1, beta2, 0.0)
    return x_mid - learning_rate * weight_decay * x_mid, m_new


@pytest.mark.parametrize("wrong, message", [
    (_lion_m_first, r"the returned x is wrong.*compute the direction from the m of the previous step, before you "
                    r"update m"),
    (_lion_signum, r"the returned x is wrong.*sign\(m\) of the updated m is this mistake too"),
    (_lion_beta2_direction, r"the returned x is wrong.*beta2 only decays the stored m"),
    (lambda x, dx, m, learning_rate, beta1, beta2, weight_decay: lion_step(x, dx, m, learning_rate, beta2, beta1,
                                                                           weight_decay),
     r"step 1 of 8 .*the returned m is wrong.*the stored m decays with beta2"),
    (lambda x, dx, m, learning_rate, beta1, beta2, weight_decay: lion_step(x, dx, m, learning_rate, beta1, beta1,
                                                                           weight_decay),
     r"step 1 of 8 .*the returned m is wrong.*the stored m decays with beta2"),
    (_lion_coupled, r"weight_decay=0.5.*the weight decay is decoupled: do not add weight_decay \* x to the gradient"),
    (_lion_unscaled, r"weight_decay=0.5.*multiply the weight decay term by learning_rate too"),
    (_lion_no_sign, r"step 1 of 8 .*Lion steps by the sign of the blend"),
    (_lion_decay_after, r"weight_decay=0.5.*decay the x from before this step"),
])
def test_lion_slips_are_named(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_lion_step(wrong)


@pytest.mark.parametrize("kwargs, message", [
    (dict(adam=True), r"step 1 of 9 .*the returned x is wrong.*that is Adam's step"),
    (dict(threshold=4.0), r"step 5 of 9 .*beta2=0.999.*the paper's threshold"),
    (dict(rectify=False), r"step 6 of 9 .*the adaptive step is multiplied by the rectification r_t"),
    (dict(eps_on_hat=True), r"step 6 of 9 .*eps=0.1.*eps goes on the uncorrected root"),
    (dict(bias_corrected=False), r"step 1 of 9 .*the un-adapted step uses the bias-corrected m_hat"),
    (dict(return_corrected=True), r"step 1 of 9 .*the returned m is wrong.*return the uncorrected moments"),
    (dict(move_early=False), r"step 1 of 9 .*while rho_t <= 5 RAdam still steps, it only does not adapt"),
    (dict(correct_v=False), r"step 6 of 9 .*keeps Adam's bias correction of the second moment: multiply by "
                            r"sqrt\(1 - beta2\*\*t\)"),
])
def test_radam_slips_are_named(kwargs, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_radam_step(_variant(radam_step, **kwargs))


@pytest.mark.parametrize("kwargs, message", [
    (dict(scale=False), r"step 1 of 6 .*scale the step by sqrt\(max\(1, rows / cols\)\)"),
    (dict(flip_nesterov=True), r"step 2 of 6 .*nesterov=True.*orthogonalise the look-ahead \(1 - mu\) \* dx \+ mu "
                               r"\* m, built from the m you have just updated"),
    (dict(old_m=True), r"step 2 of 6 .*nesterov=True.*built from the m you have just updated"),
    (dict(sum_look_ahead=True), r"step 2 of 6 .*the look-ahead is an average too, \(1 - mu\) \* dx \+ mu \* m, not "
                                r"dx \+ mu \* m"),
    (dict(gradient=True), r"orthogonalise the momentum \(or its Nesterov look-ahead\), not this step's gradient"),
    (dict(average=False), r"step 1 of 6 .*the returned m is wrong.*keep m as an average"),
])
def test_muon_slips_are_named(kwargs, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_muon_step(_variant(muon_step, **kwargs))


def test_muon_step_of_a_vector_start_is_refused_by_shape():
    """A student's step that returns the wrong shape is told the shape, as in every step check."""
    with pytest.raises(CheckFailed, match=r"the returned x has shape \(8,\), expected shape \(4, 2\)"):
        checks.check_muon_step(lambda x, dx, m, learning_rate, mu, nesterov: (x.ravel(), m))


def test_sign_schedule_passes_a_decay_and_explains_a_constant_a_slow_or_a_badly_scaled_one(capsys):
    checks.check_sign_schedule(lambda total_steps: gd.schedules.cosine_decay(0.1, total_steps))
    assert re.fullmatch(r"sign_schedule: Lion ends at \S+, Muon at \S+ after 200 steps, both below 1e-04: "
                        r"check passed", capsys.readouterr().out.strip())
    with pytest.raises(CheckFailed, match=r"your schedule is constant \(0.03 at every step\); Lion and Muon take "
                                          r"steps of a fixed size"):
        checks.check_sign_schedule(lambda total_steps: gd.schedules.constant(0.03))
    # decays, but stops at half its rate: the floor stays
    with pytest.raises(CheckFailed, match=r"not both below the target 1e-04; your last rate is 0.5\d* times your "
                                          r"largest: let it fall closer to 0"):
        checks.check_sign_schedule(lambda total_steps: gd.schedules.cosine_decay(0.1, total_steps, 0.05))
    # decays to 0 from too small a rate: never gets there
    with pytest.raises(CheckFailed, match=r"Lion ends at .*not both below the target.*start from a larger rate: "
                                          r"the steps have a fixed size.*\(every rate 3 times larger: Lion at "):
        checks.check_sign_schedule(lambda total_steps: gd.schedules.cosine_decay(1e-3, total_steps))
    # decays to 0 from too large a rate: hops too far for too long (the old hint said 'start from a larger rate').
    # The cases are far from the target (Muon's last hops amplify rounding: a cosine from 3.0 ends at 1.1e-4 or
    # 4.5e-5 depending on the BLAS kernel); these gave the same branch with OPENBLAS_CORETYPE Haswell, SkylakeX,
    # Prescott and unset
    with pytest.raises(CheckFailed, match=r"not both below the target.*start from a smaller rate: while the rate is "
                                          r"large.*\(every rate divided by 3: Lion at \S+, Muon at \S+\)"):
        checks.check_sign_schedule(lambda total_steps: gd.schedules.cosine_decay(30.0, total_steps))
    # 0.1 for half the run, then 0: ends at 0, but neither scale helps: the shape is wrong
    with pytest.raises(CheckFailed, match=r"scaling your rates does not help \(3 times larger: Lion at .*; 3 times "
                                          r"smaller: Lion at .*\): change the shape"):
        checks.check_sign_schedule(lambda total_steps: (lambda k: 0.1 if k < total_steps // 2 else 0.0))


def test_sign_schedule_names_what_came_back():
    with pytest.raises(CheckFailed, match=r"sign_schedule returned float, expected a function of the step"):
        checks.check_sign_schedule(lambda total_steps: 0.1)
    with pytest.raises(CheckFailed, match=r"sign_schedule returned None; return the schedule"):
        checks.check_sign_schedule(lambda total_steps: None)
    with pytest.raises(CheckFailed, match=r"your schedule returned -0.1 at step 0; every rate must be a finite"):
        checks.check_sign_schedule(lambda total_steps: (lambda k: -0.1))
    with pytest.raises(CheckFailed, match=r"your schedule returned '0.1' at step 0"):
        checks.check_sign_schedule(lambda total_steps: (lambda k: "0.1"))
    with pytest.raises(CheckFailed, match=r"0 at every step, so nothing moves"):
        checks.check_sign_schedule(lambda total_steps: (lambda k: 0.0))
    with pytest.raises(ValueError, match=r"Invalid target: -1"):
        checks.check_sign_schedule(lambda total_steps: gd.schedules.constant(0.1), target=-1.0)
    with pytest.raises(ValueError, match=r"Invalid n_steps: 0"):
        checks.check_sign_schedule(lambda total_steps: gd.schedules.constant(0.1), n_steps=0)
