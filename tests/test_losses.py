"""Output losses: gradients against finite differences, the batch softmax against a direct
transcription of the published code's ``CrossEntropyLoss(softmax(out, dim=0))``."""

import numpy as np
import pytest

from sparsefs.nn.losses import BatchSoftmaxCE, ClassSoftmaxCE, make_loss, softmax_columns


def _published_loss(Z, y):
    """``nn.CrossEntropyLoss()(softmax(out, dim=0), y)`` for out = Z.T (batch, C), in float64."""
    out = Z.T.astype(np.float64)
    p = np.exp(out - out.max(axis=0)) / np.exp(out - out.max(axis=0)).sum(axis=0)
    logq = p - np.log(np.exp(p).sum(axis=1, keepdims=True))
    return -np.mean(logq[np.arange(len(y)), y])


def _fd_grad(f, Z, h=1e-6):
    G = np.zeros_like(Z)
    for idx in np.ndindex(*Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[idx] += h
        Zm[idx] -= h
        G[idx] = (f(Zp) - f(Zm)) / (2 * h)
    return G


@pytest.fixture
def logits():
    rng = np.random.default_rng(3)
    return rng.standard_normal((4, 7)), rng.integers(0, 4, size=7)


def test_batch_softmax_loss_is_the_published_formula(logits):
    Z, y = logits
    assert BatchSoftmaxCE().value(Z, y) == pytest.approx(_published_loss(Z, y), rel=1e-12)


def test_batch_softmax_gradient_matches_finite_differences(logits):
    Z, y = logits
    loss = BatchSoftmaxCE()
    G = np.empty_like(Z)
    value = loss.value_and_grad(None, y, G, Z)
    assert value == pytest.approx(_published_loss(Z, y), rel=1e-12)
    np.testing.assert_allclose(G, _fd_grad(lambda z: _published_loss(z, y), Z), atol=1e-8)


def test_class_softmax_gradient_matches_finite_differences(logits):
    Z, y = logits

    def loss(z):
        P = z.copy()
        softmax_columns(P)
        return -np.mean(np.log(P[y, np.arange(len(y))]))

    P = Z.copy()
    softmax_columns(P)
    G = np.empty_like(Z)
    assert ClassSoftmaxCE().value_and_grad(P, y, G) == pytest.approx(loss(Z), rel=1e-12)
    np.testing.assert_allclose(G, _fd_grad(loss, Z), atol=1e-8)


def test_make_loss_rejects_an_unknown_axis():
    with pytest.raises(ValueError, match="softmax_axis"):
        make_loss("features")


def test_batch_softmax_trains_more_slowly_but_still_finds_the_signal():
    from sparsefs import SparseFeatureSelector

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 12)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    fits = {axis: SparseFeatureSelector(2, density=0.5, hidden_layer_sizes=(16, 8),
                                        max_iter=100, batch_size=16, softmax_axis=axis,
                                        l2=1e-4, random_state=0).fit(X, y)
            for axis in ("class", "batch")}
    for axis, sel in fits.items():
        assert set(sel.top_features(2)) == {0, 1}, axis
        loss = sel.history_["train_loss"]
        assert loss[-1] < loss[0], axis
    # The batch softmax's outputs are ~1/batch, so its loss can never fall far below
    # log(C): after as many steps it stays far above the class softmax's (with weak weight
    # decay, l2=1e-4, which lets the class softmax's loss approach zero).
    assert fits["batch"].history_["train_loss"][-1] > 10 * fits["class"].history_["train_loss"][-1]
