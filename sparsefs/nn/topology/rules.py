"""A topology rule = a prune rule + a grow rule + a drop-fraction schedule + a period.

SET is magnitude prune + random grow; RigL is magnitude prune + gradient grow. The training
loop only asks a rule whether this step updates and then calls :meth:`TopologyRule.update`;
it never looks at the method's name.
"""

from dataclasses import dataclass, field

from ... import _config as C
from .grow import AttributionGrow, GradientGrow, RandomGrow
from .prune import MagnitudePrune
from .schedule import CosineDrop


@dataclass
class TopologyRule:
    """Prune and regrow every sparse layer every ``update_every`` optimizer steps.

    Attributes
    ----------
    prune : callable(layer, zeta) -> (keep (nnz,) bool, n_dropped)
    grow : callable(layer, keep, count, rng, XT, GT) -> sorted int64 keys (count,)
        With ``needs_gradient``: the rule passes each layer's input XT (n_in, batch) and
        output gradient GT (n_out, batch) of the step just taken.
    schedule : callable(step, total_steps) -> zeta
    update_every : int
    """

    prune: object = field(default_factory=MagnitudePrune)
    grow: object = field(default_factory=RandomGrow)
    schedule: object = field(default_factory=CosineDrop)
    update_every: int = 10

    def due(self, step):
        """Whether optimizer step ``step`` (1-based, just taken) is followed by an update."""
        return step % self.update_every == 0

    @property
    def needs_attribution(self):
        """Whether the grow rule reads the running attribution (see :meth:`observe`)."""
        return hasattr(self.grow, "observe")

    def observe(self, network, attribution):
        """Pass one mini-batch's attribution (n_features,) to a grow rule that reads it."""
        if self.needs_attribution:
            self.grow.observe(network, attribution)

    def end_epoch(self, network, epoch):
        """End of an epoch: a grow rule with input pruning prunes inputs now."""
        if hasattr(self.grow, "end_epoch"):
            self.grow.end_epoch(network, epoch)

    def finish(self, network):
        """End of training, after the best epoch's network is restored."""
        if hasattr(self.grow, "finish"):
            self.grow.finish(network)

    def update(self, network, XT, step, total_steps, rng):
        """Prune and regrow each layer of ``network`` after the step on the batch XT (d, batch).

        Layers at density 1 have no empty position and are skipped. nnz stays the same.
        Returns the drop fraction used.
        """
        zeta = self.schedule(step, total_steps)
        if self.grow.needs_gradient:
            pairs = zip(network.layers, network.layer_io(XT))
        else:
            pairs = ((layer, (None, None)) for layer in network.layers)
        for layer, (inp, grad) in pairs:
            update_layer(layer, zeta, self.prune, self.grow, rng, inp, grad)
        return zeta



def update_layer(layer, zeta, prune, grow, rng, XT=None, GT=None):
    """Replace the ``prune``-chosen weights of one layer by ``grow``-chosen new positions.

    Returns the number of weights replaced; 0 for a layer at density 1.
    """
    if layer.density >= 1.0:
        return 0
    keep, n_drop = prune(layer, zeta)
    layer.rebuild(keep, grow(layer, keep, n_drop, rng, XT, GT))
    return n_drop


def set_rule(zeta=0.3, zeta_end=0.005, update_every=10):
    """SET (Mocanu et al., 2018): magnitude prune, uniformly random regrowth."""
    return TopologyRule(MagnitudePrune(), RandomGrow(), CosineDrop(zeta, zeta_end), update_every)


def rigl_rule(zeta=0.3, zeta_end=0.005, update_every=10):
    """RigL (Evci et al., 2020): magnitude prune, regrowth where the dense gradient is largest."""
    return TopologyRule(MagnitudePrune(), GradientGrow(), CosineDrop(zeta, zeta_end),
                        update_every)


def guided_rule(zeta=0.3, zeta_end=0.005, update_every=10, prune_inputs=False,
                min_inputs=C.PRUNE_MIN_INPUTS):
    """Attribution-guided SET: magnitude prune; the first layer regrows where the running
    attribution is high (with a uniform floor), the other layers at random. With
    ``prune_inputs``, inputs whose running attribution stays low are pruned
    (:class:`~sparsefs.nn.topology.inputs.InputPruning`), down to ``min_inputs``."""
    grow = AttributionGrow(prune_inputs=prune_inputs, min_inputs=min_inputs)
    return TopologyRule(MagnitudePrune(), grow, CosineDrop(zeta, zeta_end), update_every)


def guided_prune_rule(zeta=0.3, zeta_end=0.005, update_every=10, min_inputs=C.PRUNE_MIN_INPUTS):
    """The guided rule with input pruning on ("guided-prune")."""
    return guided_rule(zeta, zeta_end, update_every, True, min_inputs)


#: Topology rules by method name; "dense" has none.
RULES = {"set": set_rule, "rigl": rigl_rule, "guided": guided_rule,
         "guided-prune": guided_prune_rule}


def make_rule(method, **params):
    """The rule of a method name (see :data:`RULES`), or None for "dense"."""
    return None if method == "dense" else RULES[method](**params)


def set_update(layer, zeta, rng):
    """One SET update of one layer; returns the number of weights replaced."""
    return update_layer(layer, zeta, MagnitudePrune(), RandomGrow(), rng)


def rigl_update(layer, zeta, XT, GT, block_bytes=None):
    """One RigL update of one layer from its input XT (n_in, batch) and output gradient GT."""
    grow = GradientGrow() if block_bytes is None else GradientGrow(block_bytes)
    return update_layer(layer, zeta, MagnitudePrune(), grow, None, XT, GT)
