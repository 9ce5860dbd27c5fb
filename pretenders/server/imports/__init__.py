"""Imports: other mock servers' stub definitions turned into our presets.

Each converter is a pure function from the other tool's JSON to our wire dicts (the JSON
of ``POST /preset/<id>``), one :class:`~.common.Converted` per stub, with a list of what it
could not map: nothing is dropped without being named.
"""

from pretenders.server.imports.common import Converted, load_entry
from pretenders.server.imports.mountebank import convert_imposters
from pretenders.server.imports.wiremock import convert_mappings, read_mappings_folder

__all__ = [
    "Converted",
    "convert_imposters",
    "convert_mappings",
    "load_entry",
    "read_mappings_folder",
]
