"""FLOPs and compulsory bytes of one kernel call.

FLOPs come from :func:`sparsefs.nn.accounting.training_flops` (the code the CLI reports with), fed
with counters for exactly one call, so the bench and the CLI cannot disagree on the convention
(a multiply-add is 2 FLOPs, only arithmetic on weights counts). Bytes are the compulsory
traffic of a call: every array the kernel must read or write once, nothing for cache misses.
They give "achieved GB/s"; the bound they are compared with is a streaming copy of as many bytes.
"""

from sparsefs.nn import accounting
from sparsefs.nn.training import Counters


def _acc(shape, nnz, optimizer, **counters):
    return accounting.training_flops([shape], [nnz], Counters(**counters), optimizer, 1)


def op_flops(op, shape, nnz, batch, optimizer):
    """FLOPs of one call of ``op`` on a layer ``shape`` with ``nnz`` weights and ``batch``.

    forward      2 nnz B                       (accounting: forward of ``batch`` samples)
    sddmm        2 nnz B                       (accounting: backward of the first layer)
    input_grad   2 nnz B                       (the same product, by the same convention)
    backward     4 nnz B + f (nnz + n_out)     (weight and input gradient + one optimizer step,
                                               f = ``optimizer.flops_per_weight``)
    """
    if op == "forward":
        return _acc(shape, nnz, optimizer, eval_samples=batch)["forward"]
    if op in ("sddmm", "input_grad"):
        return _acc(shape, nnz, optimizer, train_samples=batch)["backward"]
    if op == "backward":
        f = _acc(shape, nnz, optimizer, train_samples=batch, steps=1)
        return 2 * f["backward"] + f["update"]
    raise ValueError(op)


def network_flops(shapes, nnz, optimizer, n_classes, **counters):
    """Accounting of a whole network for the given counters (dict of phases and ``total``)."""
    return accounting.training_flops(shapes, nnz, Counters(**counters), optimizer, n_classes)


def op_bytes(op, shape, nnz, batch, sparse, itemsize=4, index_bytes=4, perm_bytes=4,
             n_state=2):
    """Compulsory bytes moved by one call (reads + writes), see the module docstring."""
    n_in, n_out = shape
    act_in, act_out = n_in * batch * itemsize, n_out * batch * itemsize
    if sparse:
        ptr_in, ptr_out = 8 * (n_in + 1), 8 * (n_out + 1)
        if op == "forward":  # data via perm, idx_in, perm; read XT, write out
            return nnz * (itemsize + index_bytes + perm_bytes) + ptr_out + act_in + act_out
        if op == "sddmm":  # indices, write gradient; read XT, GT
            return nnz * (index_bytes + itemsize) + ptr_in + act_in + act_out
        if op == "input_grad":  # indices, data; read GT, write dXT
            return nnz * (index_bytes + itemsize) + ptr_in + act_in + act_out
        if op == "backward":  # indices; data and state read + written; XT, GT, dXT
            return (nnz * (index_bytes + 2 * itemsize * (1 + n_state)) + ptr_in + 2 * act_in
                    + act_out)
        raise ValueError(op)
    w = n_in * n_out * itemsize
    if op == "forward":
        return w + act_in + act_out
    if op in ("sddmm", "input_grad"):
        return w + act_in + act_out
    if op == "backward":  # W read (dX), grad written then read, W and state read + written
        return w * (1 + 2 + 2 * (1 + n_state)) + 2 * act_in + act_out
    raise ValueError(op)
