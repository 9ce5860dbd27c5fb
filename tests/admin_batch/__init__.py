"""Creating an HTTP mock with its presets in one call (``POST /http`` with ``presets``)."""
