"""Dynamic sparse topology: prune rules, grow rules, the drop schedule, and their composition.

Where things are: ``prune.py`` drops weights; ``grow.py`` regrows them (SET at random, RigL by
gradient, "guided" by running attribution); ``schedule.py`` decides how many; ``rules.py``
composes the three into SET, RigL and guided; ``positions.py`` draws positions without a dense
mask.
"""

from .grow import AttributionGrow, GradientGrow, RandomGrow, rigl_regrow
from .positions import occupied_by, random_keys
from .prune import MagnitudePrune, prune_smallest
from .rules import RULES, TopologyRule, make_rule, rigl_update, set_update, update_layer
from .schedule import CosineDrop, cosine_zeta

__all__ = ["AttributionGrow", "CosineDrop", "GradientGrow", "MagnitudePrune", "RULES", "RandomGrow",
           "TopologyRule", "cosine_zeta", "make_rule", "occupied_by", "prune_smallest",
           "random_keys", "rigl_regrow", "rigl_update", "set_update", "update_layer"]
