"""Find models and sample clips on disk, or download them, always checked against their sha256.

Order: an explicit file path > each ``$EDGE_ASSETS`` folder > the cache (``$EDGE_CACHE`` or
``models/cache``) > download from the manifest's ``url`` into the cache.

    >>> spec, path = resolve_model("yolox_nano")          # doctest: +SKIP
    >>> clip, video = resolve_clip("pets2009-s2l1")       # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.errors import EdgeError
from edge.manifest import Manifest, ModelSpec, load_manifest

REPO = Path(__file__).resolve().parent.parent
CLIP_MANIFEST_PATH = REPO / "sample_videos" / "manifest.yaml"
CHUNK = 1 << 20
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


# --- locations -------------------------------------------------------------------------------


def asset_dirs() -> list[Path]:
    """The folders named by ``$EDGE_ASSETS`` (several allowed, separated by ``os.pathsep``)."""
    raw = os.environ.get("EDGE_ASSETS", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def cache_dir() -> Path:
    """``$EDGE_CACHE`` or ``<repo>/models/cache``; created when something is downloaded into it."""
    env = os.environ.get("EDGE_CACHE", "").strip()
    return Path(env).expanduser() if env else REPO / "models" / "cache"


# --- integrity -------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _sha256_of(path: str, mtime_ns: int, size: int) -> str:
    # Keyed on mtime and size so a replaced file is hashed again; the cache lives in this process.
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _sha256_of(str(path.resolve()), st.st_mtime_ns, st.st_size)


def verify(path: Path, sha256: str) -> Path:
    """Return ``path`` if its content has the given sha256, else raise EdgeError."""
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise EdgeError(f"{path}: cannot read ({exc.strerror})") from None
    if actual != sha256.lower():
        raise EdgeError(
            f"{path}: sha256 mismatch (expected {sha256}, got {actual}): "
            "a corrupt or different file; delete or replace it"
        )
    return path


def download(url: str, dest: Path, sha256: str, *, timeout: float = 30.0) -> Path:
    """Stream ``url`` to a temp file beside ``dest``, check its sha256, then rename atomically."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise EdgeError(f"cannot write to {dest.parent} ({exc.strerror}); set EDGE_CACHE") from None
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            for chunk in iter(lambda: resp.read(CHUNK), b""):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != sha256.lower():
            raise EdgeError(
                f"download {url}: sha256 mismatch (expected {sha256}, got {h.hexdigest()}); "
                "file discarded"
            )
        os.replace(tmp, dest)
        return dest
    except urllib.error.HTTPError as exc:
        raise EdgeError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise EdgeError(f"cannot download {url}: {exc.reason}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise EdgeError(f"cannot download {url}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _locate(what: str, candidates: list[Path], sha256: str, url: str | None, hint: str) -> Path:
    """First existing candidate (verified), else a download to the last candidate (the cache)."""
    for path in candidates:
        if path.is_file():
            return verify(path, sha256)
    tried = ", ".join(str(p) for p in candidates)
    if not asset_dirs():
        tried += " (EDGE_ASSETS is not set)"
    if url is None:
        raise EdgeError(f"{what} not found (tried {tried}); {hint}")
    try:
        return download(url, candidates[-1], sha256)
    except EdgeError as exc:
        raise EdgeError(f"{what} not found (tried {tried}) and {exc}; {hint}") from None


# --- models ----------------------------------------------------------------------------------


def is_model_path(name_or_path: str) -> bool:
    """A path to a model file rather than a manifest name."""
    seps = {os.sep, os.altsep or os.sep, "/"}
    return name_or_path.endswith(".onnx") or any(s in name_or_path for s in seps)


def model_candidates(spec: ModelSpec) -> list[Path]:
    """Where a manifest model is looked for, in order; the cache (download target) comes last."""
    places = [p for d in asset_dirs() for p in (d / "models" / spec.file, d / spec.file)]
    return [*places, cache_dir() / spec.file]


def find_model(spec: ModelSpec) -> Path | None:
    """The first existing candidate file, not verified (for listings)."""
    return next((p for p in model_candidates(spec) if p.is_file()), None)


def resolve_model(
    name_or_path: str, manifest: Manifest | None = None, *, download: bool = True
) -> tuple[ModelSpec, Path]:
    """A manifest name or an .onnx path -> (its spec, a verified local file).

    An explicit path is used as is (not hashed: it may be a user's own export); its spec is the
    manifest entry with the same file name.
    """
    manifest = manifest or load_manifest()
    if is_model_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise EdgeError(f"model file {path} does not exist")
        spec = next((m for m in manifest.models if m.file == path.name), None)
        if spec is None:
            raise EdgeError(
                f"model file {path.name} is not in models/manifest.yaml; "
                "add an entry with its family and input size"
            )
        return spec, path
    spec = manifest.get(name_or_path)
    if spec is None:
        known = ", ".join(m.name for m in manifest.models)
        raise EdgeError(
            f"unknown model {name_or_path!r} (known: {known}; or give a path to an .onnx file)"
        )
    pull = "" if download else f"run `edge models pull {spec.name}`, "
    hint = (
        f"set EDGE_ASSETS to a folder holding {spec.file} (or models/{spec.file}), "
        f"{pull}or give a path to an .onnx file"
    )
    url = spec.url if download else None
    return spec, _locate(f"model {spec.name!r}", model_candidates(spec), spec.sha256, url, hint)


# --- sample clips ----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClipLine(_Strict):
    """A counting line as in the ground truth: ``in`` = the anchor goes from s<0 to s>0."""

    id: str
    p1: tuple[float, float]
    p2: tuple[float, float]


class InOut(_Strict):
    in_: int = Field(alias="in", ge=0)
    out: int = Field(ge=0)


class GroundTruth(_Strict):
    path: str = Field(description="relative to the assets folder")
    format: Literal["mot", "crossings_json", "pklot_json"]
    sha256: Sha256


class ClipSpec(_Strict):
    name: str
    kind: Literal["video", "image"] = "video"
    path: str = Field(description="relative to the assets folder")
    sha256: Sha256
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    fps: float | None = Field(None, gt=0)
    frames: int | None = Field(None, gt=0, description="decodable frames")
    license: str
    credit: str
    source: str | None = Field(None, description="upstream origin (informational)")
    url: str | None = Field(None, description="download URL of these exact bytes, if any")
    note: str | None = None
    ground_truth: GroundTruth | None = None
    reference: str | None = Field(None, description=(
        "parking: another image clip of the same camera with the lot empty (its empty state)"))
    lines: tuple[ClipLine, ...] = ()
    line_totals: dict[str, InOut] = Field(default_factory=dict, description="all classes")

    @model_validator(mode="after")
    def _consistent(self) -> ClipSpec:
        if self.kind == "video" and (self.fps is None or self.frames is None):
            raise ValueError(f"clip {self.name}: a video needs fps and frames")
        unknown = set(self.line_totals) - {ln.id for ln in self.lines}
        if unknown:
            raise ValueError(f"clip {self.name}: line_totals for unknown lines {sorted(unknown)}")
        return self


class ClipManifest(_Strict):
    clips: tuple[ClipSpec, ...]

    def get(self, name: str) -> ClipSpec | None:
        return next((c for c in self.clips if c.name == name), None)


def load_clip_manifest(path: Path = CLIP_MANIFEST_PATH) -> ClipManifest:
    try:
        return ClipManifest.model_validate(yaml.safe_load(path.read_text()))
    except OSError as exc:
        raise EdgeError(f"{path}: cannot read clip manifest ({exc.strerror})") from None
    except (yaml.YAMLError, ValidationError) as exc:
        first = " ".join(str(exc).splitlines()[:3])
        raise EdgeError(f"{path}: invalid clip manifest: {first}") from None


def _asset_candidates(rel: str) -> list[Path]:
    return [*(d / rel for d in asset_dirs()), cache_dir() / rel]


def _clip_hint(rel: str, url: str | None, note: str | None) -> str:
    hint = f"set EDGE_ASSETS to a folder holding {rel}"
    return hint if url else f"{hint} ({note or 'it has no download URL'})"


def resolve_clip(name: str, manifest: ClipManifest | None = None) -> tuple[ClipSpec, Path]:
    """A clip name from sample_videos/manifest.yaml -> (its spec, a verified local file)."""
    manifest = manifest or load_clip_manifest()
    spec = manifest.get(name)
    if spec is None:
        known = ", ".join(c.name for c in manifest.clips)
        raise EdgeError(f"unknown clip {name!r} (known: {known})")
    hint = _clip_hint(spec.path, spec.url, spec.note)
    path = _locate(f"clip {name!r}", _asset_candidates(spec.path), spec.sha256, spec.url, hint)
    return spec, path


def clip_ground_truth(spec: ClipSpec) -> Path | None:
    """The clip's verified ground-truth file, or None when the clip has none."""
    gt = spec.ground_truth
    if gt is None:
        return None
    hint = _clip_hint(gt.path, None, spec.note)
    what = f"ground truth of {spec.name!r}"
    return _locate(what, _asset_candidates(gt.path), gt.sha256, None, hint)
