"""Near misses: the presets that came closest to an unmatched request, and why each missed.

Computed only when no preset matched, from the same :meth:`MatchRule.differences` that
decides matching, so an explanation always agrees with what the mock did. The comparison
stops after :data:`COMPARE_BUDGET` seconds, however many presets the mock has, and then
says how many it compared; a regex that gave up while matching is not run again.
"""

from __future__ import annotations

import difflib
import functools
import heapq
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchSubject, is_description
from pretenders.server.core.patterns import GaveUp, Pattern, milliseconds
from pretenders.server.core.presets import Preset
from pretenders.server.core.records import Difference, NearMiss, RequestRecord, RuleMiss
from pretenders.server.core.rule_spec import RuleSpec

CLOSEST = 3
"""How many near misses an unmatched request keeps."""
COMPARE_BUDGET = 0.05
"""Seconds spent comparing an unmatched request with presets; the rest are not compared."""


# A rule miss outweighs any header or body miss: the right endpoint with a wrong header is
# closer than the wrong endpoint. Within rule misses, a wrong method on the right path is
# closest, then the right method on a wrong path, then both wrong.
_WRONG_METHOD = 10.0
_WRONG_PATH = 20.0
_WRONG_BOTH = 30.0
_FIELD_WEIGHTS = {"body": 2.0, "data": 2.0}
_HEADER_WEIGHT = 1.0
_STATE_WEIGHT = 0.5
"""A preset whose rule matches and whose state machine alone refused: the closest."""
_COMPARED_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Comparison:
    """The near misses of a request, and how many presets were compared to find them."""

    misses: tuple[NearMiss, ...]
    compared: int


def compare_presets(
    presets: Iterable[Preset],
    subject: MatchSubject,
    limit: int = CLOSEST,
    budget: float = COMPARE_BUDGET,
    states: Mapping[str, str] | None = None,
) -> Comparison:
    """The ``limit`` presets closest to the request, closest first (the older first on
    ties), among those compared within ``budget`` seconds (the oldest first);
    ``states``: the mock's state machines, for presets that require a state."""
    deadline = time.perf_counter() + budget
    scored: list[NearMiss] = []
    for preset in presets:
        if scored and time.perf_counter() > deadline:
            break
        scored.append(near_miss(preset, subject, states))
    closest = heapq.nsmallest(limit, scored, key=lambda miss: (miss.distance, miss.preset_id))
    return Comparison(tuple(closest), len(scored))


def closest_presets(
    presets: Iterable[Preset], subject: MatchSubject, limit: int = CLOSEST
) -> tuple[NearMiss, ...]:
    """The ``limit`` presets closest to the request (see :func:`compare_presets`)."""
    return compare_presets(presets, subject, limit).misses


def near_miss(
    preset: Preset, subject: MatchSubject, states: Mapping[str, str] | None = None
) -> NearMiss:
    """Score one preset against a request by what differed."""
    differences = tuple(preset.rule.differences(subject))
    extra = preset.extra
    if not differences and extra is not None and extra.state is not None and states is not None:
        state_miss = extra.state.difference(subject, states)
        if state_miss is not None:
            differences = (state_miss,)
    distance = 0.0
    rule_miss: RuleMiss | None = None
    for difference in differences:
        if difference.field == "rule":
            timeout = preset.rule.patterns[0].timeout
            rule_miss, weight = _rule_distance(preset.rule.rule, subject, difference, timeout)
            distance += weight
        elif difference.field.startswith("header "):
            distance += _HEADER_WEIGHT
        elif difference.field.startswith("state "):
            distance += _STATE_WEIGHT
        else:
            distance += _FIELD_WEIGHTS.get(difference.field, 1.0)
    return NearMiss(
        preset.id, preset.rule.spec, preset.times_left, differences, distance, rule_miss
    )


def _rule_distance(
    pattern: str, subject: MatchSubject, difference: Difference, timeout: float
) -> tuple[RuleMiss | None, float]:
    record = subject.record
    parts = None if difference.gave_up else _rule_parts(pattern, timeout)
    if parts is not None:
        method_regex, path_regex, path_pattern = parts
        try:
            method_ok = method_regex.match(record.method)
            path_ok = path_regex.match(record.url)
        except GaveUp:  # the halves alone cannot tell which one missed
            method_ok = path_ok = False
        if path_ok and not method_ok:
            return "method", _WRONG_METHOD
        if method_ok and not path_ok:
            return "path", _WRONG_PATH + _unlikeness(path_pattern, record.url)
    return None, _WRONG_BOTH + _unlikeness(pattern, subject.rule_line)


@functools.lru_cache(maxsize=1024)
def _rule_parts(pattern: str, timeout: float) -> tuple[Pattern, Pattern, str] | None:
    """A rule ``"METHOD-REGEX PATH-REGEX"`` split at its first top-level space, compiled
    (the method half to match the whole method)."""
    split = _top_level_space(pattern)
    if split is None:
        return None
    method, path = pattern[:split], pattern[split + 1 :]
    try:
        method_regex = Pattern(f"(?:{method})\\Z", "rule", timeout, line=True)
        return method_regex, Pattern(path, "rule", timeout, line=True), path
    except InvalidInput:
        return None


def _top_level_space(pattern: str) -> int | None:
    depth = 0
    in_class = escaped = False
    for position, character in enumerate(pattern):
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
        elif character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == " " and depth == 0:
            return position
    return None


def _unlikeness(pattern: str, actual: str) -> float:
    """0 for the same text, up to 1 for nothing in common: ranks misses of the same kind."""
    matcher = difflib.SequenceMatcher(
        None, pattern[:_COMPARED_LENGTH], actual[:_COMPARED_LENGTH], autojunk=False
    )
    return 1.0 - matcher.ratio()


def explain_miss(
    record: RequestRecord, preset_count: int, mock_id: str, compared: int | None = None
) -> str:
    """The text of an unmatched request's 404: the closest presets and what differed.

    ``compared``: how many presets (the oldest) were compared, when not all of them.
    """
    lines = [f"No matching preset response for {_printable(record.rule_line, 200)}"]
    if preset_count == 0:
        lines.append(
            f"The mock has no presets: add one with POST /preset/{mock_id} "
            "or mock.when(...).reply(...)"
        )
        return "\n".join(lines) + "\n"
    shown = len(record.near_misses)
    if compared is not None and compared < preset_count:
        lines.append(
            f"Closest {shown} of the first {compared} of {preset_count} presets (comparing "
            f"stops after {milliseconds(COMPARE_BUDGET)}):"
        )
    elif shown < preset_count:
        lines.append(f"Closest {shown} of {preset_count} presets:")
    else:
        lines.append("Closest preset:" if shown == 1 else "Closest presets:")
    for number, miss in enumerate(record.near_misses, start=1):
        lines.append(f"{number}. {describe_near_miss(miss)}")
    return "\n".join(lines) + "\n"


def describe_near_miss(miss: NearMiss) -> str:
    """``preset 0 "GET /x" (times left 1): header X-Token: expected "abc", got "abd"``."""
    spec = miss.rule
    named = spec.rule or spec.method or spec.path
    rule = quote(rule_label(spec)) if named else rule_label(spec)
    reasons = "; ".join(describe_difference(d, miss.rule_miss) for d in miss.differences)
    return f"preset {miss.preset_id} {rule} (times left {miss.times_left}): {reasons}"


def rule_label(rule: RuleSpec) -> str:
    """How a near miss names a preset's rule: its 1.4 regex, or its method and path."""
    if rule.rule:
        return rule.rule
    if rule.method or rule.path:
        return f"{rule.method or 'any method'} {rule.path or 'any path'}"
    return "(any method and path)"


def describe_difference(difference: Difference, rule_miss: RuleMiss | None = None) -> str:
    """``header X-Token: expected "abc", got "abd"``."""
    if difference.gave_up:
        # actual: "(the regular expression gave up after 50 ms)"
        return (
            f"{difference.field}: {quote(difference.expected)}: {difference.actual[1:-1]} "
            "on this request (--regex-timeout)"
        )
    if difference.field.startswith("state "):  # "state order[42] is start, requires paid"
        return f"{difference.field} is {difference.actual}, requires {difference.expected}"
    text = (
        f"{difference.field}: expected {_shown(difference.field, difference.expected)}, "
        f"got {_shown(difference.field, difference.actual)}"
    )
    if difference.field == "rule" and rule_miss == "method":
        text += " (the path matches, the method does not)"
    elif difference.field == "rule" and rule_miss == "path":
        text += " (the method matches, the path does not)"
    return text


def quote(text: str, limit: int = 80) -> str:
    """Double-quoted, with control characters escaped and long text cut."""
    return '"' + _printable(text, limit).replace('"', '\\"') + '"'


def _shown(field: str, value: str) -> str:
    if is_description(value):
        return value
    if field == "data":  # already a dict's repr
        return _printable(value, 200)
    return quote(value)


def _printable(text: str, limit: int) -> str:
    if len(text) > limit:
        text = text[:limit] + "..."
    if text.isprintable():
        return text
    return "".join(_escape(character) for character in text)


def _escape(character: str) -> str:
    if "\ud800" <= character <= "\udfff":
        return "\ufffd"  # a byte that was not UTF-8, kept as a surrogate by the HTTP parser
    if character.isprintable() or character == " ":
        return character
    return repr(character)[1:-1]
