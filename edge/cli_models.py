"""`edge models list | pull [NAME ...] | check`: see, fetch and verify the detector models."""

from __future__ import annotations

import argparse
import sys

from edge.assets import file_sha256, find_model, resolve_model
from edge.errors import EdgeError
from edge.manifest import Manifest, load_manifest


def add_models_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("models", help="list, download and verify detector models")
    sub = parser.add_subparsers(dest="models_command", required=True)
    sub.add_parser("list", help="the models of models/manifest.yaml and where each is found")
    pull = sub.add_parser("pull", help="find or download models (default: all), sha256-checked")
    pull.add_argument("names", nargs="*", metavar="NAME")
    sub.add_parser("check", help="verify the sha256 of every model found; exit 1 if one is bad")
    parser.set_defaults(handler=run_models)
    return parser


def run_models(args: argparse.Namespace) -> int:
    manifest = load_manifest()
    commands = {"list": _list, "pull": _pull, "check": _check}
    return commands[args.models_command](manifest, args)


def _list(manifest: Manifest, args: argparse.Namespace) -> int:
    rows = [("name", "family", "input", "licence", "location")]
    for m in manifest.models:
        where = find_model(m)
        name = f"{m.name}*" if m.default else m.name
        size = f"{m.input_size[0]}x{m.input_size[1]}"
        rows.append((name, m.family, size, m.license, str(where) if where else "not found"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
    print("* default model")
    return 0


def _pull(manifest: Manifest, args: argparse.Namespace) -> int:
    names = args.names or [m.name for m in manifest.models]
    unknown = [n for n in names if manifest.get(n) is None]
    if unknown:  # a typo stops everything before any download
        known = ", ".join(m.name for m in manifest.models)
        raise EdgeError(f"unknown model(s) {', '.join(unknown)} (known: {known})")
    failed = 0
    for name in names:
        try:
            _, path = resolve_model(name, manifest, download=True)
            print(f"{name}: {path}")
        except EdgeError as exc:
            failed += 1
            print(f"{name}: {exc}", file=sys.stderr)
    return 2 if failed else 0


def _check(manifest: Manifest, args: argparse.Namespace) -> int:
    bad = 0
    for m in manifest.models:
        path = find_model(m)
        if path is None:
            print(f"{m.name}: not found")
            continue
        actual = file_sha256(path)
        ok = actual == m.sha256
        bad += not ok
        print(f"{m.name}: {'ok' if ok else f'BAD sha256 {actual} (expected {m.sha256})'}  {path}")
    return 1 if bad else 0
