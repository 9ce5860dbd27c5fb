"""mountebank imposters (JSON) as our presets.

Maps each stub's predicates (equals, deepEquals, contains, startsWith, endsWith, matches,
exists, and, or, not, over method, path, query, headers and body, with ``jsonpath``) and
its responses (``is``, ``proxy``, ``fault``; ``_behaviors.wait`` as a delay, ``repeat``);
several responses become a sequence that cycles, as mountebank serves them. What it
cannot map is named per stub.

mountebank compares values without regard to case unless ``caseSensitive`` is true; so
do the rules made here (paths excepted: matched as written).
"""

from __future__ import annotations

import re
from typing import Any

from pretenders.server.imports.common import (
    MAX_STUBS,
    Converted,
    b64,
    flagged,
    guarded,
    json_text,
    literal,
    merge_rules,
    searched,
)

FAULTS = {"CONNECTION_RESET_BY_PEER": "reset", "RANDOM_DATA_THEN_CLOSE": "garbage"}
MAX_REPEAT = 1000
"""The most times one response is repeated in a sequence (``repeat``)."""
_OPERATORS = ("equals", "deepEquals", "contains", "startsWith", "endsWith", "matches", "exists")
_PREDICATE_OPTIONS = {"caseSensitive", "except", "jsonpath", "keyCaseSensitive"}


def convert_imposters(document: Any) -> list[tuple[str, list[Converted]]]:
    """Each imposter of ``document`` (one imposter or ``{"imposters": [...]}``): its name
    (its own, else ``imposter-<port>``) and its stubs as presets."""
    imposters = document.get("imposters") if isinstance(document, dict) else None
    if imposters is None:
        imposters = [document]
    found = []
    for number, imposter in enumerate(imposters, start=1):
        if not isinstance(imposter, dict):
            found.append((f"imposter-{number}", [Converted("imposter", None, ["not an object"])]))
            continue
        name = imposter.get("name") or f"imposter-{imposter.get('port', number)}"
        found.append((str(name), convert_imposter(imposter)))
    return found


def convert_imposter(imposter: dict[str, Any]) -> list[Converted]:
    """The stubs of one imposter, then its ``defaultResponse`` as a last catch-all."""
    protocol = imposter.get("protocol", "http")
    if protocol not in ("http", "https"):
        return [Converted("imposter", None, [f"protocol {protocol}: only http is imported"])]
    stubs = imposter.get("stubs") or []
    if not isinstance(stubs, list):
        return [Converted("imposter", None, ["stubs: not a list"])]
    converted = [
        guarded(convert_stub, f"stub #{number}", stub, number)
        for number, stub in enumerate(stubs[:MAX_STUBS], start=1)
    ]
    default = imposter.get("defaultResponse")
    if isinstance(default, dict):
        converted.append(guarded(_default, "defaultResponse", default))
    for key in imposter:
        if key not in _IMPOSTER_KEYS:
            converted.append(Converted("imposter", None, [f"{key}: not supported"]))
    return converted


def _default(default: dict[str, Any]) -> Converted:
    notes: list[str] = []
    preset = _is(default, "defaultResponse", notes)
    preset.update(rule="", times="FOREVER")
    return Converted("defaultResponse", preset, notes)


_IMPOSTER_KEYS = {
    "port",
    "protocol",
    "name",
    "stubs",
    "defaultResponse",
    "recordRequests",
    "requests",
    "numberOfRequests",
    "_links",
    "allowCORS",
}


def convert_stub(stub: Any, number: int = 1) -> Converted:
    """One mountebank stub as our preset."""
    label = f"stub #{number}"
    if not isinstance(stub, dict):
        return Converted(label, None, ["not a JSON object"])
    notes: list[str] = []
    parts = [
        _predicate(predicate, f"predicates[{index}]", notes)
        for index, predicate in enumerate(stub.get("predicates") or [])
    ]
    rule = merge_rules([part for part in parts if part])
    replies: list[dict[str, Any]] = []
    for index, response in enumerate(stub.get("responses") or [{"is": {}}]):
        replies.extend(_response(response, f"responses[{index}]", notes))
    sequence: dict[str, Any] = {"replies": replies, "pick": "cycle"}
    preset = replies[0] if len(replies) == 1 else sequence
    preset["rule"] = rule
    preset["times"] = "FOREVER"
    for key in stub:
        if key not in ("predicates", "responses"):
            notes.append(f"{key}: not supported")
    return Converted(label, preset, notes)


# Predicates


def _predicate(predicate: Any, where: str, notes: list[str]) -> dict[str, Any]:
    if not isinstance(predicate, dict):
        notes.append(f"{where}: not an object")
        return {}
    if "and" in predicate or "or" in predicate:
        key = "and" if "and" in predicate else "or"
        rules = [
            _predicate(part, f"{where}.{key}[{i}]", notes)
            for i, part in enumerate(predicate[key] or [])
        ]
        return {"all" if key == "and" else "any": [rule for rule in rules if rule]}
    if "not" in predicate:
        inner = _predicate(predicate["not"], f"{where}.not", notes)
        return {"not": inner} if inner else {}
    operators = [key for key in predicate if key in _OPERATORS]
    for key in predicate:
        if key not in _OPERATORS and key not in _PREDICATE_OPTIONS:
            notes.append(f"{where}.{key}: not supported")
    if len(operators) != 1:
        notes.append(f"{where}: one operator expected, got {', '.join(operators) or 'none'}")
        return {}
    operator = operators[0]
    if "except" in predicate:
        notes.append(f"{where}.except: not supported (the value is compared whole)")
    fields = predicate[operator]
    if not isinstance(fields, dict):
        notes.append(f"{where}.{operator}: not an object")
        return {}
    sensitive = bool(predicate.get("caseSensitive"))
    jsonpath = predicate.get("jsonpath")
    parts = []
    for name, expected in fields.items():
        part = _field(name, operator, expected, sensitive, jsonpath, f"{where}.{operator}", notes)
        if part:
            parts.append(part)
    return merge_rules(parts)


def _field(
    name: str,
    operator: str,
    expected: Any,
    sensitive: bool,
    jsonpath: Any,
    where: str,
    notes: list[str],
) -> dict[str, Any]:
    if name == "method":
        if operator in ("equals", "deepEquals"):
            return {"method": str(expected).upper()}
        return {"rule": _line_pattern(operator, str(expected), sensitive, method=True)}
    if name == "path":
        if operator in ("equals", "deepEquals") and not re.search(r"[{}]", str(expected)):
            return {"path": str(expected)}
        if operator == "exists":
            return {}
        return {"rule": _line_pattern(operator, str(expected), sensitive, method=False)}
    if name in ("query", "headers"):
        if not isinstance(expected, dict):
            notes.append(f"{where}.{name}: not an object")
            return {}
        values = {
            key: _value(operator, value, sensitive, f"{where}.{name}.{key}", notes)
            for key, value in expected.items()
        }
        return {name: values}
    if name == "body":
        if isinstance(jsonpath, dict) and "selector" in jsonpath:
            condition = _value(operator, expected, sensitive, f"{where}.body", notes)
            return {"jsonpath": {str(jsonpath["selector"]): condition}}
        return _body(operator, expected, sensitive, where, notes)
    notes.append(f"{where}.{name}: not supported")
    return {}


def _flags(sensitive: bool) -> str:
    return "" if sensitive else "i"


def _value(operator: str, expected: Any, sensitive: bool, where: str, notes: list[str]) -> Any:
    """A condition on one query parameter or header value."""
    if operator == "exists":
        return {"absent": not expected}
    if isinstance(expected, (dict, list)):
        notes.append(f"{where}: a structured value is not supported here")
        return {"absent": False}
    text = str(expected)
    flags = _flags(sensitive)
    escaped = re.escape(text)
    if operator in ("equals", "deepEquals"):
        return text if sensitive else {"matches": flagged(flags, escaped)}
    pattern = {
        "contains": f".*{escaped}.*",
        "startsWith": f"{escaped}.*",
        "endsWith": f".*{escaped}",
    }.get(operator, f".*(?:{text}).*")  # matches: found anywhere
    return {"matches": flagged(flags + "s", pattern)}


def _line_pattern(operator: str, text: str, sensitive: bool, *, method: bool) -> str:
    """A 1.4 rule regex over ``"METHOD /path?query"`` for the method or the path."""
    flags = _flags(sensitive)
    escaped = re.escape(text)
    end = r"(?:\?|\Z)"
    if method:
        inner = {
            "contains": rf"\S*{escaped}\S* ",
            "startsWith": rf"{escaped}\S* ",
            "endsWith": rf"\S*{escaped} ",
            "matches": rf"(?=\S*(?:{text}))\S+ ",
        }.get(operator, rf"{escaped} ")
        return flagged(flags, inner)
    if operator == "contains":
        path = rf"[^?]*{escaped}"
    elif operator == "startsWith":
        path = escaped
    elif operator == "endsWith":
        path = rf"[^?]*{escaped}{end}"
    elif operator == "matches":
        path = text[1:] if text.startswith("^") else f"[^?]*?(?:{text})"
        if path.endswith("$"):
            path = path[:-1] + end
    else:
        path = escaped + end
    return r"\S+ " + flagged(flags, path)


def _body(
    operator: str, expected: Any, sensitive: bool, where: str, notes: list[str]
) -> dict[str, Any]:
    if operator == "exists":
        return {"body": "(?s:.+)"} if expected else {"body": r"\Z"}
    if isinstance(expected, (dict, list)):
        if operator == "deepEquals":
            return {"json": expected}
        if operator == "equals":
            return {"json": expected, "json_ignore_extra": True}
        notes.append(f"{where}.body: {operator} on a JSON object is not supported")
        return {}
    text = str(expected)
    flags = _flags(sensitive)
    escaped = re.escape(text)
    if operator in ("equals", "deepEquals"):
        return {"body": flagged(flags, literal(text))}
    if operator == "contains":
        return {"body": flagged(flags, searched(escaped))}
    if operator == "startsWith":
        return {"body": flagged(flags, escaped)}
    if operator == "endsWith":
        return {"body": flagged(flags + "s", f".*{escaped}") + r"\Z"}
    return {"body": flagged(flags, searched(text))}


# Responses


def _response(response: Any, where: str, notes: list[str]) -> list[dict[str, Any]]:
    if not isinstance(response, dict):
        notes.append(f"{where}: not an object")
        return [{}]
    reply: dict[str, Any]
    if "is" in response:
        reply = _is(response["is"], f"{where}.is", notes)
    elif "proxy" in response:
        proxy = response["proxy"] if isinstance(response["proxy"], dict) else {}
        reply = {"proxy": {"to": str(proxy.get("to", ""))}}
        headers = proxy.get("injectHeaders")
        if isinstance(headers, dict) and headers:
            reply["proxy"]["add_headers"] = {str(k): str(v) for k, v in headers.items()}
        mode = proxy.get("mode", "proxyOnce")
        if mode != "proxyTransparent":
            notes.append(
                f"{where}.proxy.mode: {mode} records stubs in mountebank; here every "
                "request is forwarded (use POST /record/<id> to record)"
            )
    elif "fault" in response:
        fault = response["fault"]
        reply = {}
        if fault in FAULTS:
            reply["fault"] = FAULTS[fault]
        else:
            notes.append(f"{where}.fault: {fault} not supported")
    else:  # inject, or nothing at all: named below, key by key
        reply = {}
    behaviors = response.get("_behaviors") or response.get("behaviors")
    repeat = response.get("repeat", 1)
    if isinstance(behaviors, dict):
        repeat = _behaviors(behaviors, reply, repeat, f"{where}._behaviors", notes)
    elif isinstance(behaviors, list):  # mountebank 2.x: a list of behaviours, in order
        for index, behavior in enumerate(behaviors):
            if isinstance(behavior, dict):
                repeat = _behaviors(behavior, reply, repeat, f"{where}._behaviors[{index}]", notes)
    for key in response:
        if key not in ("is", "proxy", "fault", "_behaviors", "behaviors", "repeat"):
            notes.append(f"{where}.{key}: not supported")
    count = repeat if isinstance(repeat, int) and 1 <= repeat <= MAX_REPEAT else 1
    if count != repeat:
        notes.append(f"{where}.repeat: {repeat} is not a count from 1 to {MAX_REPEAT}")
    return [dict(reply) for _ in range(count)]


def _behaviors(
    behaviors: dict[str, Any], reply: dict[str, Any], repeat: Any, where: str, notes: list[str]
) -> Any:
    for key, value in behaviors.items():
        if key == "wait" and isinstance(value, (int, float)):
            reply["after"] = value / 1000
        elif key == "repeat":
            repeat = value
        else:
            notes.append(f"{where}.{key}: not supported")
    return repeat


def _is(given: Any, where: str, notes: list[str]) -> dict[str, Any]:
    if not isinstance(given, dict):
        notes.append(f"{where}: not an object")
        return {}
    reply: dict[str, Any] = {}
    if "statusCode" in given:
        reply["status"] = int(given["statusCode"])
    headers = given.get("headers")
    if isinstance(headers, dict) and headers:
        reply["headers"] = {
            str(k): ", ".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in headers.items()
        }
    body = given.get("body")
    if body is not None:
        if given.get("_mode") == "binary" and isinstance(body, str):
            reply["body"] = body  # already base64, as mountebank keeps binary bodies
        else:
            reply["body"] = b64(json_text(body) if not isinstance(body, str) else body)
            if isinstance(body, (dict, list)) and "Content-Type" not in reply.get("headers", {}):
                reply.setdefault("headers", {})["Content-Type"] = "application/json"
    for key in given:
        if key not in ("statusCode", "headers", "body", "_mode"):
            notes.append(f"{where}.{key}: not supported")
    return reply
