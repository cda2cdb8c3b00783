"""How much of each layer a topology update replaces, as training goes."""

import math


def cosine_zeta(step, total_steps, zeta_start=0.3, zeta_end=0.005):
    """Drop fraction at optimizer ``step``: cosine decay from ``zeta_start`` to ``zeta_end``
    over ``total_steps``, constant at ``zeta_end`` after it."""
    frac = min(step / max(total_steps, 1), 1.0)
    return zeta_end + 0.5 * (zeta_start - zeta_end) * (1.0 + math.cos(math.pi * frac))


class CosineDrop:
    """The drop-fraction schedule of the paper's protocol (cosine decay, RigL's default).

    Parameters
    ----------
    zeta_start, zeta_end : float in [0, 1]
        Fraction of each layer's weights replaced at step 0 and at the planned last step.
    """

    def __init__(self, zeta_start=0.3, zeta_end=0.005):
        self.zeta_start, self.zeta_end = float(zeta_start), float(zeta_end)

    def __call__(self, step, total_steps):
        return cosine_zeta(step, total_steps, self.zeta_start, self.zeta_end)
