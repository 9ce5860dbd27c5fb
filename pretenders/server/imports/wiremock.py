"""WireMock stub mappings (``mappings/*.json``, bodies in ``__files/``) as our presets.

Maps the request (method, the four URL forms and path templates, query parameters,
headers, cookies, basic credentials, body patterns), the response (status, headers, the
four body forms, delays, chunked dribble, faults, proxying, response templates whose
Handlebars expressions are simple enough to translate), priority and scenarios (as our
per-mock state machines). What it cannot map is named per stub.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
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
    whole,
)

FAULTS = {
    "CONNECTION_RESET_BY_PEER": "reset",
    "EMPTY_RESPONSE": "empty",
    "RANDOM_DATA_THEN_CLOSE": "garbage",
    "MALFORMED_RESPONSE_CHUNK": "malformed_chunk",
}
STARTED = "Started"
"""WireMock's first scenario state; ours is ``start``."""
_IGNORED = {"id", "uuid", "name", "persistent", "metadata", "insertionIndex"}
"""Keys of a mapping that change nothing in how it answers."""


def read_mappings_folder(folder: Path) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """The mappings of a WireMock root (``mappings/*.json``, or the folder itself when it
    holds the JSON files) and the files under its ``__files/``, by relative name."""
    mappings_dir = folder / "mappings" if (folder / "mappings").is_dir() else folder
    mappings: list[dict[str, Any]] = []
    for path in sorted(mappings_dir.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        found = document.get("mappings") if isinstance(document, dict) else document
        if isinstance(document, dict) and "mappings" not in document:
            found = [document]
        for mapping in found if isinstance(found, list) else []:
            if isinstance(mapping, dict):
                mapping.setdefault("name", mapping.get("name") or path.stem)
                mappings.append(mapping)
    files: dict[str, bytes] = {}
    root = folder / "__files"
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return mappings, files


def convert_mappings(document: Any, files: dict[str, bytes] | None = None) -> list[Converted]:
    """Every mapping of ``document`` (one mapping, a list, or ``{"mappings": [...]}``)."""
    mappings = document.get("mappings", [document]) if isinstance(document, dict) else document
    if not isinstance(mappings, list):
        return [Converted("mappings", None, ["not a WireMock mapping, list or {mappings}"])]
    return [
        guarded(convert_mapping, f"mapping #{number}", mapping, number, files)
        for number, mapping in enumerate(mappings[:MAX_STUBS], start=1)
    ]


def convert_mapping(
    mapping: Any, number: int = 1, files: dict[str, bytes] | None = None
) -> Converted:
    """One WireMock stub mapping as our preset."""
    if not isinstance(mapping, dict):
        return Converted(f"mapping #{number}", None, ["not a JSON object"])
    label = str(mapping.get("name") or mapping.get("id") or f"mapping #{number}")
    notes: list[str] = []
    rule = _request(mapping.get("request") or {}, notes)
    preset = _response(mapping.get("response") or {}, files or {}, notes)
    preset["rule"] = rule
    preset["times"] = "FOREVER"
    if isinstance(mapping.get("priority"), int) and mapping["priority"] >= 1:
        preset["priority"] = mapping["priority"]
    state = _scenario(mapping, notes)
    if state is not None:
        preset["state"] = state
    for key in mapping:
        if key not in {"request", "response", "priority", *_SCENARIO_KEYS, *_IGNORED}:
            notes.append(f"{key}: not supported")
    return Converted(label, preset, notes)


_SCENARIO_KEYS = ("scenarioName", "requiredScenarioState", "newScenarioState")


def _scenario(mapping: dict[str, Any], notes: list[str]) -> dict[str, Any] | None:
    name = mapping.get("scenarioName")
    if name is None:
        for key in _SCENARIO_KEYS[1:]:
            if key in mapping:
                notes.append(f"{key}: without scenarioName, ignored")
        return None
    state: dict[str, Any] = {"machine": str(name)}
    required = mapping.get("requiredScenarioState")
    if required is not None:
        state["requires"] = "start" if required == STARTED else str(required)
    moved = mapping.get("newScenarioState")
    if moved is not None:
        state["to"] = "start" if moved == STARTED else str(moved)
    return state


# The request


def _request(request: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    method = request.get("method")
    fields: dict[str, Any] = {}
    if isinstance(method, str) and method.upper() != "ANY":
        fields["method"] = method.upper()
    elif method is not None and not isinstance(method, str):
        notes.append(f"request.method: {method!r} is not a method name")
    _url(request, fields, notes)
    for key, target in (
        ("queryParameters", "query"),
        ("headers", "headers"),
        ("cookies", "cookies"),
    ):
        given = request.get(key)
        if isinstance(given, dict) and given:
            fields[target] = {
                name: _value(pattern, f"request.{key}.{name}", notes)
                for name, pattern in given.items()
            }
    path_params = request.get("pathParameters")
    if isinstance(path_params, dict) and path_params:
        fields["path_params"] = {
            name: _value(pattern, f"request.pathParameters.{name}", notes)
            for name, pattern in path_params.items()
        }
    credentials = request.get("basicAuthCredentials")
    if isinstance(credentials, dict):
        token = b64(f"{credentials.get('username', '')}:{credentials.get('password', '')}")
        fields.setdefault("headers", {})["Authorization"] = f"Basic {token}"
    parts.append(fields)
    for number, pattern in enumerate(request.get("bodyPatterns") or []):
        body_rule = _body_pattern(pattern, f"request.bodyPatterns[{number}]", notes)
        if body_rule:
            parts.append(body_rule)
    for key in request:
        if key not in _REQUEST_KEYS:
            notes.append(f"request.{key}: not supported")
    return merge_rules([part for part in parts if part])


_VALUE_FIELDS = (("queryParameters", "query"), ("headers", "headers"), ("cookies", "cookies"))
_REQUEST_KEYS = {
    "method",
    "url",
    "urlPath",
    "urlPattern",
    "urlPathPattern",
    "urlPathTemplate",
    "queryParameters",
    "headers",
    "cookies",
    "pathParameters",
    "basicAuthCredentials",
    "bodyPatterns",
}


def _url(request: dict[str, Any], fields: dict[str, Any], notes: list[str]) -> None:
    if "url" in request:  # path and query, exactly
        fields["rule"] = r"\S+ " + literal(str(request["url"]))
    elif "urlPath" in request:
        path = str(request["urlPath"])
        if "{" in path or "}" in path:
            fields["rule"] = r"\S+ " + re.escape(path) + r"(?:\?|\Z)"
        else:
            fields["path"] = path
    elif "urlPattern" in request:
        fields["rule"] = r"\S+ " + whole(str(request["urlPattern"]))
    elif "urlPathPattern" in request:
        fields["rule"] = r"\S+ (?:" + str(request["urlPathPattern"]) + r")(?:\?|\Z)"
    elif "urlPathTemplate" in request:
        fields["path"] = str(request["urlPathTemplate"])


def _value(pattern: Any, where: str, notes: list[str]) -> Any:
    """A WireMock string-value pattern as our value condition."""
    if not isinstance(pattern, dict):
        notes.append(f"{where}: not a value pattern")
        return {"absent": False}
    insensitive = bool(pattern.get("caseInsensitive"))
    conditions: list[Any] = []
    for key, operand in pattern.items():
        if key == "caseInsensitive":
            continue
        if key == "equalTo":
            if insensitive:
                conditions.append({"matches": flagged("i", re.escape(str(operand)))})
            else:
                conditions.append(str(operand))
        elif key == "contains":
            flags = "is" if insensitive else "s"
            conditions.append({"matches": flagged(flags, f".*{re.escape(str(operand))}.*")})
        elif key == "doesNotContain":
            conditions.append({"not": {"contains": str(operand)}})
        elif key == "matches":
            conditions.append({"matches": str(operand)})
        elif key == "doesNotMatch":
            conditions.append({"not": {"matches": str(operand)}})
        elif key == "absent":
            conditions.append({"absent": bool(operand)})
        elif key == "hasExactly" or key == "includes":
            values = [_value(item, where, notes) for item in operand or []]
            conditions.append({"all": values})
            if key == "hasExactly":
                notes.append(f"{where}.hasExactly: other values besides these are not refused")
        elif key in ("or", "and"):
            values = [_value(item, where, notes) for item in operand or []]
            conditions.append({"any" if key == "or" else "all": values})
        else:
            notes.append(f"{where}.{key}: not supported")
    if not conditions:
        return {"absent": False}
    return conditions[0] if len(conditions) == 1 else {"all": conditions}


def _body_pattern(pattern: Any, where: str, notes: list[str]) -> dict[str, Any]:
    if not isinstance(pattern, dict):
        notes.append(f"{where}: not a body pattern")
        return {}
    if "equalToJson" in pattern:
        given = pattern["equalToJson"]
        try:
            expected = json.loads(given) if isinstance(given, str) else given
        except ValueError:
            notes.append(f"{where}.equalToJson: not valid JSON")
            return {}
        rule: dict[str, Any] = {"json": expected}
        if pattern.get("ignoreExtraElements"):
            rule["json_ignore_extra"] = True
        if pattern.get("ignoreArrayOrder"):
            rule["json_ignore_order"] = True
        return rule
    if "matchesJsonPath" in pattern:
        given = pattern["matchesJsonPath"]
        if isinstance(given, str):
            return {"jsonpath": {given: {"absent": False}}}
        if isinstance(given, dict) and "expression" in given:
            rest = {k: v for k, v in given.items() if k != "expression"}
            return {"jsonpath": {str(given["expression"]): _value(rest, where, notes)}}
        notes.append(f"{where}.matchesJsonPath: not an expression")
        return {}
    if "equalToXml" in pattern:
        return {"xml": str(pattern["equalToXml"])}
    if "matchesXPath" in pattern:
        given = pattern["matchesXPath"]
        if isinstance(given, str):
            return {"xpath": {given: {"absent": False}}}
        if isinstance(given, dict) and "expression" in given:
            rest = {k: v for k, v in given.items() if k != "expression"}
            return {"xpath": {str(given["expression"]): _value(rest, where, notes)}}
    if "equalTo" in pattern:
        return {"body": literal(str(pattern["equalTo"]))}
    if "contains" in pattern:
        return {"body": searched(re.escape(str(pattern["contains"])))}
    if "matches" in pattern:
        return {"body": whole(flagged("s", str(pattern["matches"])))}
    if "doesNotMatch" in pattern:
        return {"not": {"body": whole(flagged("s", str(pattern["doesNotMatch"])))}}
    notes.append(f"{where}: {', '.join(pattern)} not supported")
    return {}


# The response


def _response(
    response: dict[str, Any], files: dict[str, bytes], notes: list[str]
) -> dict[str, Any]:
    preset: dict[str, Any] = {}
    if "proxyBaseUrl" in response:
        proxy: dict[str, Any] = {"to": str(response["proxyBaseUrl"])}
        added = response.get("additionalProxyRequestHeaders")
        if isinstance(added, dict) and added:
            proxy["add_headers"] = {str(k): str(v) for k, v in added.items()}
        removed = response.get("removeProxyRequestHeaders")
        if isinstance(removed, list) and removed:
            proxy["remove_headers"] = [str(name) for name in removed]
        preset["proxy"] = proxy
    if "status" in response and "proxy" not in preset:
        preset["status"] = int(response["status"])
    headers = response.get("headers")
    if isinstance(headers, dict) and headers and "proxy" not in preset:
        preset["headers"] = {
            str(name): ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            for name, value in headers.items()
        }
    body: bytes | None = None
    if "body" in response:
        body = str(response["body"]).encode("utf-8")
    elif "jsonBody" in response:
        body = json_text(response["jsonBody"]).encode("utf-8")
    elif "base64Body" in response:
        body = _decoded(str(response["base64Body"]), notes)
    elif "bodyFileName" in response:
        name = str(response["bodyFileName"])
        if name in files:
            body = files[name]
        else:
            notes.append(f"response.bodyFileName: {name} is not under __files")
    templated = "response-template" in (response.get("transformers") or [])
    if body is not None:
        if templated:
            body = translate_template(body.decode("utf-8", "replace"), notes).encode("utf-8")
        preset["body"] = b64(body)
    if templated:
        preset["template"] = True
        for name, value in list(preset.get("headers", {}).items()):
            preset["headers"][name] = translate_template(value, notes)
    _delays(response, preset, notes)
    fault = response.get("fault")
    if fault is not None:
        if fault in FAULTS:
            preset["fault"] = FAULTS[fault]
        else:
            notes.append(f"response.fault: {fault} not supported")
    for key in response:
        if key not in _RESPONSE_KEYS:
            notes.append(f"response.{key}: not supported")
    for other in response.get("transformers") or []:
        if other != "response-template":
            notes.append(f"response.transformers: {other} not supported")
    return preset


_RESPONSE_KEYS = {
    "status",
    "headers",
    "body",
    "jsonBody",
    "base64Body",
    "bodyFileName",
    "transformers",
    "fixedDelayMilliseconds",
    "delayDistribution",
    "chunkedDribbleDelay",
    "fault",
    "proxyBaseUrl",
    "additionalProxyRequestHeaders",
    "removeProxyRequestHeaders",
    "statusMessage",
}


def _decoded(text: str, notes: list[str]) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        notes.append("response.base64Body: not valid base64")
        return None


def _delays(response: dict[str, Any], preset: dict[str, Any], notes: list[str]) -> None:
    fixed = response.get("fixedDelayMilliseconds")
    if isinstance(fixed, (int, float)):
        preset["after"] = fixed / 1000
    distribution = response.get("delayDistribution")
    if isinstance(distribution, dict):
        kind = distribution.get("type")
        if kind == "lognormal":
            preset["delay"] = {
                "lognormal": {
                    "median": float(distribution.get("median", 0)) / 1000,
                    "sigma": float(distribution.get("sigma", 0)),
                }
            }
        elif kind == "uniform":
            lower = float(distribution.get("lower", 0)) / 1000
            upper = float(distribution.get("upper", 0)) / 1000
            preset["delay"] = {"uniform": [lower, upper]}
        elif kind == "fixed":
            preset["delay"] = {"fixed": float(distribution.get("milliseconds", 0)) / 1000}
        else:
            notes.append(f"response.delayDistribution: type {kind} not supported")
        if "after" in preset and "delay" in preset:
            notes.append("response.fixedDelayMilliseconds: beside delayDistribution, left out")
            del preset["after"]
    dribble = response.get("chunkedDribbleDelay")
    if isinstance(dribble, dict):
        preset["pacing"] = {
            "chunks": int(dribble.get("numberOfChunks", 1)),
            "over": float(dribble.get("totalDuration", 0)) / 1000,
        }


# Handlebars to Jinja2

_EXPRESSION = re.compile(r"\{\{\{?\s*(.*?)\s*\}?\}\}", re.DOTALL)
_PATH_SEGMENT = re.compile(r"request\.(?:path|pathSegments)\.\[(\d+)\]$")
_DOTTED = re.compile(r"request\.(query|headers|cookies|pathParams)\.([\w-]+)(?:\.\[(\d+)\])?$")
_JSONPATH = re.compile(r"jsonPath\s+request\.body\s+(['\"])(.*?)\1$")
_RANDOM = re.compile(r"randomValue\b(.*)$")
_OPTION = re.compile(r"(\w+)=(?:(['\"])(.*?)\2|(\S+))")
_SIMPLE = {
    "request.path": "request.path",
    "request.method": "request.method",
    "request.body": "request.body",
    "now": "now()",
}
_DATE_FORMATS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def translate_template(text: str, notes: list[str]) -> str:
    """WireMock's Handlebars expressions as Jinja2 where they are simple; any other is
    kept as its own text (and named in ``notes``)."""
    literal_parts: list[str] = []
    position = 0
    for found in _EXPRESSION.finditer(text):
        literal_parts.append(_jinja_literal(text[position : found.start()]))
        translated = _expression(found.group(1))
        if translated is None:
            notes.append(f"template: {found.group(0)} not translated (sent as written)")
            literal_parts.append("{{ " + json.dumps(found.group(0)) + " }}")
        else:
            literal_parts.append("{{ " + translated + " }}")
        position = found.end()
    literal_parts.append(_jinja_literal(text[position:]))
    return "".join(literal_parts)


def _jinja_literal(text: str) -> str:
    """Text that Jinja2 would otherwise read as its own syntax, kept as it is."""
    if "{%" in text or "{#" in text or "{{" in text:
        return "{{ " + json.dumps(text) + " }}"
    return text


def _expression(source: str) -> str | None:
    if source in _SIMPLE:
        return _SIMPLE[source]
    segment = _PATH_SEGMENT.match(source)
    if segment:
        return f"request.path.split('/')[{int(segment.group(1)) + 1}]"
    dotted = _DOTTED.match(source)
    if dotted:
        kind, name, index = dotted.groups()
        if kind == "pathParams":
            return f"request.path_params[{json.dumps(name)}]"
        if kind == "query" and index is not None:
            return f"request.query_all[{json.dumps(name)}][{int(index)}]"
        return f"request.{kind}[{json.dumps(name)}]"
    path = _JSONPATH.match(source)
    if path:
        return f"jsonpath({json.dumps(path.group(2))})"
    if source.startswith("now"):
        options = _options(source[3:])
        pattern = options.get("format")
        if pattern is None and not options:
            return "now()"
        if pattern is not None and set(options) == {"format"}:
            converted = _strftime(pattern)
            return None if converted is None else f"now({json.dumps(converted)})"
        return None
    random = _RANDOM.match(source)
    if random:
        options = _options(random.group(1))
        kind = options.get("type", "ALPHANUMERIC").upper()
        if kind == "UUID":
            return "uuid()"
        if kind in ("ALPHANUMERIC", "ALPHABETIC", "NUMERIC") and "length" in options:
            return f"random_string({int(options['length'])})"
    return None


def _options(text: str) -> dict[str, str]:
    return {
        m.group(1): m.group(3) if m.group(3) is not None else m.group(4)
        for m in _OPTION.finditer(text)
    }


def _strftime(pattern: str) -> str | None:
    converted = pattern
    for java, python in _DATE_FORMATS.items():
        converted = converted.replace(java, python)
    return None if re.search(r"[A-Za-z]", re.sub(r"%[A-Za-z]", "", converted)) else converted
