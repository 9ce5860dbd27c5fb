"""Short import path for the constants: ``from pretenders.constants import FOREVER``."""

from pretenders.common.constants import FOREVER, Forever

__all__ = ["FOREVER", "Forever"]
