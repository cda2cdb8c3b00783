"""Dynamic sparse topology: prune rules, grow rules, the drop schedule, and their composition.

Where things are: ``prune.py`` drops weights, ``grow.py`` regrows them (SET at random, RigL by
gradient), ``schedule.py`` decides how many, ``rules.py`` composes the three into SET and RigL,
``positions.py`` draws positions without a dense mask.
"""

from .grow import GradientGrow, RandomGrow, rigl_regrow
from .positions import occupied_by, random_keys
from .prune import MagnitudePrune, prune_smallest
from .rules import RULES, TopologyRule, make_rule, rigl_update, set_update, update_layer
from .schedule import CosineDrop, cosine_zeta

__all__ = ["CosineDrop", "GradientGrow", "MagnitudePrune", "RULES", "RandomGrow",
           "TopologyRule", "cosine_zeta", "make_rule", "occupied_by", "prune_smallest",
           "random_keys", "rigl_regrow", "rigl_update", "set_update", "update_layer"]
