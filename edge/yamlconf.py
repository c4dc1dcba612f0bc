"""YAML loading with line numbers, so config errors point at ``file:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from edge.errors import EdgeError

M = TypeVar("M", bound=BaseModel)


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _line_map(value, path + (key.value,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _line_map(value, path + (i,), out)
    return out


def read_yaml(path: Path) -> tuple[Any, dict[tuple, int]]:
    """Parsed data and a map from key path to line number."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise EdgeError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise EdgeError(f"{where}: invalid YAML: {problem}") from None
    return data, (_line_map(node) if node is not None else {})


def where(path: Path, lines: dict[tuple, int], loc: tuple) -> str:
    """``file:line`` of the deepest key of ``loc`` present in the file."""
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return f"{path}:{lines[loc[:cut]]}"
    return str(path)


def validate(model: type[M], data: Any, path: Path, lines: dict[tuple, int],
             prefix: tuple = ()) -> M:
    """Validate ``data`` with ``model``; the first error becomes one ``file:line`` message."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = prefix + tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = f" (got {value!r})" if isinstance(value, (str, int, float)) else ""
        raise EdgeError(f"{where(path, lines, loc)}: {field}: {msg}{shown}") from None


def unique_ids(ids: list[str], what: str) -> None:
    """ValueError naming the first id given twice (``duplicate WHAT id 'x'``)."""
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}")
        seen.add(i)
