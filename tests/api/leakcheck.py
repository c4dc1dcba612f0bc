"""Reusable privacy check for API schemas and JSON payloads.

The product promise: no response ever holds an image, a box, a track id, a position or a
trajectory. This module finds anything that looks like one, by name (keys, schema properties,
parameters) and by value (base64-like blobs, data URIs, lists of numbers that could be
coordinates). Later APIs (parking, alerts) reuse it:

    from leakcheck import assert_no_leak, schema_leaks
    assert not schema_leaks(app.openapi())
    assert_no_leak(response.json(), where="GET /v1/parking")

>>> [leak.reason for leak in find_leaks({"cars": 3, "track_id": 7})]
["name 'track_id' contains 'track'"]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# Any name containing one of these is refused ("bbox", "trackId", "imageUrl", "frame_jpeg").
FORBIDDEN_SUBSTRINGS: tuple[str, ...] = (
    "box", "xyxy", "xywh", "track", "position", "trajector", "image", "img", "frame", "crop",
    "jpeg", "jpg", "png", "base64", "b64", "pixel", "mask", "polygon", "coord", "snapshot",
    "thumbnail", "latitude", "longitude",
)
# Short words refused only as a whole word of the name ("x", "pos_x", "x1"), so that
# "latency" or "width_class" do not trip the check.
FORBIDDEN_WORDS: frozenset[str] = frozenset({
    "x", "y", "w", "h", "z", "cx", "cy", "xy", "wh", "lat", "lon", "lng", "gps", "geo",
    "point", "points", "anchor", "anchors", "centroid", "center", "centre", "path", "trail",
    "trace", "rect", "bounds", "pos", "location", "plate", "plates", "face", "faces",
})


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


_ISO_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def _is_timestamp(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _ISO_TS.fullmatch(value) is not None)


# Names that match a pattern but are known to be harmless, with the only values they may take:
# a camera's number of analysed frames and the time of its last one are health, not content.
ALLOWED: dict[str, Callable[[Any], bool]] = {
    "frames": _is_count,
    "last_frame_at": _is_timestamp,
}
_ALLOWED_SCHEMA_TYPES: dict[str, set[str]] = {
    "frames": {"integer"},
    "last_frame_at": {"string", "null"},
}

_BLOB = re.compile(r"[A-Za-z0-9+/_-]{48,}={0,2}")
MAX_STRING = 2000  # longer strings are refused outright: no legitimate field is that long


@dataclass(frozen=True)
class Leak:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def _words(name: str) -> list[str]:
    """'trackId' -> ['track', 'id']; 'pos_x1' -> ['pos', 'x', '1']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return re.findall(r"[a-z]+|[0-9]+", spaced.lower())


def name_problem(name: str) -> str | None:
    """Why a key/property/parameter name looks like a leak, or None."""
    if name in ALLOWED:
        return None
    flat = "".join(_words(name))
    for bad in FORBIDDEN_SUBSTRINGS:
        if bad in flat:
            return f"name {name!r} contains {bad!r}"
    for word in _words(name):
        if word in FORBIDDEN_WORDS:
            return f"name {name!r} has the word {word!r}"
    return None


def value_problem(value: Any) -> str | None:
    """Why a JSON value looks like a leak (blob, data URI, coordinate list), or None."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            return f"string of {len(value)} characters"
        if value.startswith("data:") or "base64," in value:
            return "data URI"
        if _BLOB.fullmatch(value):
            return f"base64-like blob of {len(value)} characters"
    if isinstance(value, list) and len(value) >= 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return f"list of {len(value)} numbers (coordinates?)"
    return None


def find_leaks(payload: Any, where: str = "$") -> list[Leak]:
    """Every suspicious key or value in a JSON payload (already decoded)."""
    return list(_walk_json(payload, where))


def _walk_json(value: Any, where: str) -> Iterator[Leak]:
    problem = value_problem(value)
    if problem:
        yield Leak(where, problem)
    if isinstance(value, dict):
        for key, item in value.items():
            key_s = str(key)
            here = f"{where}.{key_s}"
            problem = name_problem(key_s)
            if problem:
                yield Leak(here, problem)
            elif key_s in ALLOWED and not ALLOWED[key_s](item):
                yield Leak(here, f"allowed name {key_s!r} with unexpected value {item!r:.60}")
            yield from _walk_json(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_json(item, f"{where}[{i}]")


def schema_leaks(openapi: dict[str, Any]) -> list[Leak]:
    """Every suspicious property or parameter name in an OpenAPI document.

    Walks all component schemas recursively (properties, items, additionalProperties,
    anyOf/oneOf/allOf, $defs) and every operation's parameters.
    """
    leaks: list[Leak] = []
    for name, schema in openapi.get("components", {}).get("schemas", {}).items():
        leaks.extend(_walk_schema(schema, f"#/components/schemas/{name}"))
    for path, ops in openapi.get("paths", {}).items():
        for method, op in ops.items():
            for param in op.get("parameters", []) if isinstance(op, dict) else []:
                problem = name_problem(param.get("name", ""))
                if problem:
                    leaks.append(Leak(f"{method.upper()} {path} parameter", problem))
                leaks.extend(_walk_schema(param.get("schema", {}), f"{method.upper()} {path}"))
    return leaks


def _walk_schema(schema: Any, where: str) -> Iterator[Leak]:
    if isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from _walk_schema(sub, f"{where}[{i}]")
        return
    if not isinstance(schema, dict):
        return
    for prop, sub in schema.get("properties", {}).items():
        problem = _property_problem(prop, sub)
        if problem:
            yield Leak(f"{where}.{prop}", problem)
        yield from _walk_schema(sub, f"{where}.{prop}")
    for key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"):
        if key in schema:
            yield from _walk_schema(schema[key], f"{where}.{key}")
    for name, sub in schema.get("$defs", {}).items():
        yield from _walk_schema(sub, f"{where}.$defs.{name}")
    for name in schema.get("required", []):
        problem = name_problem(name)
        if problem and name not in schema.get("properties", {}):
            yield Leak(f"{where}.required", problem)


def _property_problem(prop: str, schema: Any) -> str | None:
    problem = name_problem(prop)
    if problem is None and prop in _ALLOWED_SCHEMA_TYPES:
        types = _schema_types(schema) if isinstance(schema, dict) else {"unknown"}
        if not types <= _ALLOWED_SCHEMA_TYPES[prop]:
            problem = f"allowed name {prop!r} with types {sorted(types)}"
    return problem


def _schema_types(schema: dict[str, Any]) -> set[str]:
    types = {schema["type"]} if isinstance(schema.get("type"), str) else set(schema.get("type", []))
    for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
        types |= _schema_types(sub)
    return types or {"unknown"}


def assert_no_leak(payload: Any, where: str = "$") -> None:
    leaks = find_leaks(payload, where)
    assert not leaks, "privacy leak:\n" + "\n".join(map(str, leaks))
