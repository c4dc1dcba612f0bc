"""Asset resolution: explicit path > $EDGE_ASSETS > cache > download, always sha256-checked."""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from edge import assets
from edge.assets import (
    ClipManifest,
    clip_ground_truth,
    load_clip_manifest,
    resolve_clip,
    resolve_model,
    verify,
)
from edge.cli_models import add_models_parser
from edge.errors import EdgeError
from edge.manifest import Manifest, load_manifest

FAKE = b"not really an onnx model\n"
FAKE_SHA = hashlib.sha256(FAKE).hexdigest()
PREPROCESS = {"color": "bgr", "resize": "letterbox"}


def _model(name: str, content: bytes = FAKE, url: str = "http://127.0.0.1:9/none") -> dict:
    return {
        "name": name, "family": "yolox", "file": f"{name}.onnx", "url": url,
        "sha256": hashlib.sha256(content).hexdigest(), "license": "MIT",
        "input_size": [64, 64], "preprocess": PREPROCESS,
    }


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Two empty asset folders and a cache, all in tmp_path."""
    a, b, cache = tmp_path / "a", tmp_path / "b", tmp_path / "cache"
    for d in (a, b, cache):
        d.mkdir()
    monkeypatch.setenv("EDGE_ASSETS", os.pathsep.join([str(a), str(b)]))
    monkeypatch.setenv("EDGE_CACHE", str(cache))
    return a, b, cache


@pytest.fixture
def manifest() -> Manifest:
    return Manifest.model_validate({"models": [_model("tiny"), _model("other", b"x")]})


def test_asset_dirs_and_cache_from_env(env):
    a, b, cache = env
    assert assets.asset_dirs() == [a, b]
    assert assets.cache_dir() == cache


def test_cache_defaults_to_repo_models_cache(monkeypatch):
    monkeypatch.delenv("EDGE_CACHE", raising=False)
    assert assets.cache_dir() == Path(assets.__file__).resolve().parent.parent / "models" / "cache"


def test_resolution_order(env, manifest, tmp_path):
    a, b, cache = env
    (cache / "tiny.onnx").write_bytes(FAKE)
    assert resolve_model("tiny", manifest)[1] == cache / "tiny.onnx"
    (b / "tiny.onnx").write_bytes(FAKE)
    assert resolve_model("tiny", manifest)[1] == b / "tiny.onnx"
    (a / "models").mkdir()
    (a / "models" / "tiny.onnx").write_bytes(FAKE)
    spec, path = resolve_model("tiny", manifest)
    assert (spec.name, path) == ("tiny", a / "models" / "tiny.onnx")
    # An explicit path wins and is used as is (not hashed: it may be the user's own export).
    mine = tmp_path / "mine" / "tiny.onnx"
    mine.parent.mkdir()
    mine.write_bytes(b"a different export")
    assert resolve_model(str(mine), manifest) == (manifest.get("tiny"), mine)


def test_explicit_path_not_in_manifest(env, manifest, tmp_path):
    f = tmp_path / "custom.onnx"
    f.write_bytes(FAKE)
    with pytest.raises(EdgeError, match="custom.onnx is not in models/manifest.yaml.*family"):
        resolve_model(str(f), manifest)
    with pytest.raises(EdgeError, match="does not exist"):
        resolve_model(str(tmp_path / "missing.onnx"), manifest)


def test_sha_mismatch_names_file_and_both_hashes(env, manifest):
    a, _, _ = env
    bad = a / "tiny.onnx"
    bad.write_bytes(b"corrupt")
    with pytest.raises(EdgeError) as exc:
        resolve_model("tiny", manifest)
    msg = str(exc.value)
    assert str(bad) in msg and FAKE_SHA in msg and hashlib.sha256(b"corrupt").hexdigest() in msg
    assert "\n" not in msg


def test_verify_sees_a_replaced_file(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(FAKE)
    assert verify(f, FAKE_SHA) == f
    f.write_bytes(b"changed, and longer than before")  # new size/mtime: hashed again
    with pytest.raises(EdgeError, match="sha256 mismatch"):
        verify(f, FAKE_SHA)


def test_unknown_name_lists_known(env, manifest):
    with pytest.raises(EdgeError, match=r"unknown model 'foo' \(known: tiny, other; or give a"):
        resolve_model("foo", manifest)


def test_not_found_lists_every_place_tried(env, manifest):
    a, b, cache = env
    with pytest.raises(EdgeError) as exc:
        resolve_model("tiny", manifest, download=False)
    msg = str(exc.value)
    for place in (a / "models" / "tiny.onnx", a / "tiny.onnx", b / "models" / "tiny.onnx",
                  b / "tiny.onnx", cache / "tiny.onnx"):
        assert str(place) in msg
    assert "EDGE_ASSETS" in msg and "edge models pull tiny" in msg


@pytest.fixture
def http_dir(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_into_cache_verified(env, http_dir):
    _, _, cache = env
    root, base = http_dir
    content = os.urandom(3 << 20)  # several 1 MiB chunks
    (root / "tiny.onnx").write_bytes(content)
    manifest = Manifest.model_validate({"models": [_model("tiny", content, f"{base}/tiny.onnx")]})
    with pytest.raises(EdgeError, match="not found"):
        resolve_model("tiny", manifest, download=False)
    _, path = resolve_model("tiny", manifest)
    assert path == cache / "tiny.onnx" and path.read_bytes() == content
    assert sorted(p.name for p in cache.iterdir()) == ["tiny.onnx"]  # no temp file left
    (root / "tiny.onnx").unlink()  # now served from the cache, no request made
    assert resolve_model("tiny", manifest)[1] == path


def test_download_with_wrong_sha_is_discarded(env, http_dir):
    _, _, cache = env
    root, base = http_dir
    (root / "tiny.onnx").write_bytes(b"tampered")
    manifest = Manifest.model_validate({"models": [_model("tiny", FAKE, f"{base}/tiny.onnx")]})
    with pytest.raises(EdgeError, match=f"sha256 mismatch \\(expected {FAKE_SHA}"):
        resolve_model("tiny", manifest)
    assert list(cache.iterdir()) == []


def test_download_404_is_one_clear_line(env, http_dir):
    _, base = http_dir
    manifest = Manifest.model_validate({"models": [_model("tiny", FAKE, f"{base}/gone.onnx")]})
    with pytest.raises(EdgeError) as exc:
        resolve_model("tiny", manifest)
    msg = str(exc.value)
    assert f"{base}/gone.onnx" in msg and "HTTP 404" in msg and "\n" not in msg


def _clips(gt: dict | None = None) -> ClipManifest:
    clip = {
        "name": "walk", "path": "footage/walk/video.mp4", "sha256": FAKE_SHA, "width": 8,
        "height": 8, "fps": 10, "frames": 3, "license": "CC0", "credit": "me", "url": None,
        "note": "filmed by hand", "ground_truth": gt,
    }
    return ClipManifest.model_validate({"clips": [clip]})


def test_clip_resolution_and_ground_truth(env):
    _, b, _ = env
    gt_bytes = b"1,1,0,0,1,1,1,1,1\n"
    gt = {"path": "footage/walk/gt.txt", "format": "mot",
          "sha256": hashlib.sha256(gt_bytes).hexdigest()}
    manifest = _clips(gt)
    with pytest.raises(EdgeError, match=r"clip 'walk' not found.*footage/walk/video.mp4.*by hand"):
        resolve_clip("walk", manifest)
    (b / "footage" / "walk").mkdir(parents=True)
    (b / "footage" / "walk" / "video.mp4").write_bytes(FAKE)
    spec, path = resolve_clip("walk", manifest)
    assert path == b / "footage" / "walk" / "video.mp4"
    with pytest.raises(EdgeError, match="ground truth of 'walk' not found"):
        clip_ground_truth(spec)
    (b / "footage" / "walk" / "gt.txt").write_bytes(gt_bytes)
    assert clip_ground_truth(spec) == b / "footage" / "walk" / "gt.txt"
    assert clip_ground_truth(_clips().clips[0]) is None
    with pytest.raises(EdgeError, match=r"unknown clip 'run' \(known: walk\)"):
        resolve_clip("run", manifest)


def test_clip_manifest_rejects_bad_entries(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("clips:\n  - {name: x, path: x.mp4, sha256: abc, width: 1, height: 1,"
                   " license: l, credit: c, colour: red}\n")
    with pytest.raises(EdgeError, match=f"{bad}: invalid clip manifest"):
        load_clip_manifest(bad)


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_models_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_models_cli(env, monkeypatch, capsys):
    a, _, _ = env
    spec = load_manifest().models[0]
    monkeypatch.setenv("EDGE_ASSETS", str(a))
    assert _cli("models", "list") == 0
    assert "not found" in capsys.readouterr().out
    (a / spec.file).write_bytes(b"corrupt")
    assert _cli("models", "list") == 0
    assert str(a / spec.file) in capsys.readouterr().out
    assert _cli("models", "check") == 1
    assert "BAD sha256" in capsys.readouterr().out
    with pytest.raises(EdgeError, match="unknown model"):
        _cli("models", "pull", "nope")


# --- real assets -------------------------------------------------------------------------------

needs_assets = pytest.mark.skipif(not os.environ.get("EDGE_ASSETS"),
                                  reason="EDGE_ASSETS is not set (real models and footage)")


@pytest.mark.integration
@needs_assets
def test_every_manifest_model_resolves_in_edge_assets(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGE_CACHE", str(tmp_path))  # an empty cache: must come from EDGE_ASSETS
    for spec in load_manifest().models:
        _, path = resolve_model(spec.name, download=False)
        assert assets.file_sha256(path) == spec.sha256


def _mot_totals(gt: Path, lines) -> dict[str, tuple[int, int]]:
    """(in, out) per line from MOT boxes: sign changes of s(feet point) along each track."""
    rows = np.loadtxt(gt, delimiter=",", usecols=range(6))
    rows = rows[np.lexsort((rows[:, 0], rows[:, 1]))]  # by track, then frame
    feet = np.c_[rows[:, 2] + rows[:, 4] / 2, rows[:, 3] + rows[:, 5]]
    out = {}
    for ln in lines:
        (x1, y1), (x2, y2) = ln.p1, ln.p2
        side = ((x2 - x1) * (feet[:, 1] - y1) - (y2 - y1) * (feet[:, 0] - x1) > 0).astype(int)
        same_track = rows[1:, 1] == rows[:-1, 1]
        step = np.diff(side)[same_track]
        out[ln.id] = (int((step > 0).sum()), int((step < 0).sum()))
    return out


@pytest.mark.integration
@needs_assets
def test_every_clip_resolves_and_matches_its_ground_truth(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGE_CACHE", str(tmp_path))
    for spec in load_clip_manifest().clips:
        _, path = resolve_clip(spec.name)
        assert assets.file_sha256(path) == spec.sha256
        gt = clip_ground_truth(spec)
        if gt is not None and spec.ground_truth.format == "mot":
            assert _mot_totals(gt, spec.lines) == {k: (v.in_, v.out) for k, v in
                                                   spec.line_totals.items()}, spec.name
        if gt is None or spec.ground_truth.format != "crossings_json":
            continue
        data = json.loads(gt.read_text())
        lines = {ln["id"]: (tuple(ln["p1"]), tuple(ln["p2"])) for ln in data["lines"]}
        assert lines == {ln.id: (ln.p1, ln.p2) for ln in spec.lines}, spec.name
        totals = {k: (sum(v["in"].values()), sum(v["out"].values()))
                  for k, v in data["totals"].items()}
        assert totals == {k: (v.in_, v.out) for k, v in spec.line_totals.items()}, spec.name
