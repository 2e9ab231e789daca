"""End-to-end training with gdlib: MLPs built from gdlib.nn, losses from gdlib.losses, trained by
every gdlib optimizer through ``step(params, grads)``. Numbers are printed (see them with ``-s``)."""
import time

import numpy as np
import pytest

from gdlib import data, losses, nn, optim


def test_spiral_two_layer_mlp_reaches_97_percent_training_accuracy():
    X, y = data.spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0)
    model = nn.MLP([2, 100, 3], activation="relu", init="he", seed=0)
    hist = nn.train(model, X, y, optim.Adam(learning_rate=1e-2), loss="softmax", epochs=150, batch_size=32, seed=0)
    acc = nn.accuracy(model, X, y)
    print(f"\nspiral 2-100-3 ReLU, Adam(1e-2), 150 epochs: loss {hist['loss'][-1]:.4f}, train accuracy {acc:.4f}")
    assert acc == pytest.approx(hist["accuracy"][-1])
    assert acc >= 0.97
    # A linear classifier cannot do this (CS231n: about 50 %), so the hidden layer matters.
    linear = nn.Linear(2, 3, seed=0)
    nn.train(linear, X, y, optim.Adam(learning_rate=1e-2), epochs=50, batch_size=32, seed=0)
    assert nn.accuracy(linear, X, y) < 0.65


def test_digits_mlp_reaches_95_percent_test_accuracy_in_under_10_seconds():
    X_train, X_test, y_train, y_test = data.digits(test_size=0.25, seed=0)
    model = nn.MLP([64, 64, 10], seed=0)
    start = time.perf_counter()
    hist = nn.train(model, X_train, y_train, optim.Adam(learning_rate=1e-2), epochs=10, batch_size=32, seed=0)
    elapsed = time.perf_counter() - start
    test_acc = nn.accuracy(model, X_test, y_test)
    print(f"\ndigits 64-64-10 ReLU, Adam(1e-2), 10 epochs: {elapsed:.2f} s, "
          f"train accuracy {hist['accuracy'][-1]:.4f}, test accuracy {test_acc:.4f}")
    assert test_acc >= 0.95
    # About 0.3 s on the course machine (2 shared cores, gdlib.autograd with its fused nodes); 10 s leaves a wide
    # margin for a loaded CI machine while still catching an autograd that got 10x slower.
    assert elapsed < 10.0


OPTIMIZERS = [
    ("SGD", lambda: optim.SGD(learning_rate=0.5)),
    ("Momentum", lambda: optim.Momentum(learning_rate=0.1, mu=0.9)),
    ("Nesterov", lambda: optim.Nesterov(learning_rate=0.1, mu=0.9)),
    ("Adagrad", lambda: optim.Adagrad(learning_rate=0.1)),
    ("RMSProp", lambda: optim.RMSProp(learning_rate=1e-2, decay_rate=0.99)),
    ("Adam", lambda: optim.Adam(learning_rate=1e-2)),
    ("AdamW", lambda: optim.AdamW(learning_rate=1e-2, weight_decay=1e-2)),
    ("AMSGrad", lambda: optim.AMSGrad(learning_rate=1e-2)),
]


@pytest.mark.parametrize("name, make", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_every_optimizer_reduces_the_spiral_training_loss(name, make):
    X, y = data.spiral(seed=0)
    model = nn.MLP([2, 100, 3], seed=0)
    initial = losses.softmax_cross_entropy(model.forward_numpy(X), y)[0]
    hist = nn.train(model, X, y, make(), epochs=5, batch_size=32, seed=0)
    print(f"\n{name:9s} spiral loss {initial:.4f} -> {hist['loss'][-1]:.4f} after 5 epochs")
    assert np.all(np.isfinite(hist["loss"]))
    assert hist["loss"][-1] < 0.85 * initial
