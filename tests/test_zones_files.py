"""Every example under zones/ is valid: users copy them."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import load_site, load_zones

ZONES = Path(__file__).resolve().parents[1] / "zones"


@pytest.mark.parametrize("path", sorted(ZONES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_file_loads(path: Path) -> None:
    if path.name.endswith("-site.yaml"):
        assert load_site(path).cameras
    else:
        load_zones(path)


def test_dropoff_example_has_its_zones() -> None:
    zones = load_zones(ZONES / "pets2009-s2l1-dropoff.yaml")
    assert [z.id for z in zones.dumping.zones] == ["grass-west", "road-east"]
    assert zones.lines[0].id == "lamp"
