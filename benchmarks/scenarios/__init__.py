"""The benchmark scenarios, in the order they run. Each module has NAME, TITLE and run()."""

from __future__ import annotations

from types import ModuleType

from benchmarks.scenarios import (
    cycle,
    delays,
    history,
    own_port,
    presets,
    rich_rules,
    smtp,
    stores,
    templated,
    throughput,
)

ALL: dict[str, ModuleType] = {
    module.NAME: module
    for module in (
        throughput,
        presets,
        history,
        cycle,
        delays,
        smtp,
        stores,
        rich_rules,
        templated,
        own_port,
    )
}
