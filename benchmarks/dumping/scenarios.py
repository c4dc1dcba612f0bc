"""The generated set: which objects are dumped where and when, on which real background.

Each :class:`Scenario` is one clip. Its background plays forward then backward ("ping-pong") as
long as needed, so the scene never jumps. Times are media seconds of the generated clip;
:mod:`benchmarks.dumping.generate` turns them into frame indices. With ``passer=True`` (PETS
only, where people have box ground truth) the object appears right after a real walker has
passed its spot, as if they had left it there, and is taken away while someone is at it; each
time moves by at most ``SNAP_S`` to find such a moment.

An object that stays at least ``dwell_s + 15 s`` is a **dump** (an alert is due); one that stays
at most half of ``dwell_s`` is **brief** (no alert is due); anything in between is refused, as
is a zone used by two objects less than 15 s apart. A zone of a clip where nothing is dumped is a
negative of its ``scene``: people walking or standing (PETS), cars driving through and the
exposure flicker (Intel).

Zones were drawn on the clips' median frames (pixels of the middle frame for the drifting Intel
cameras): on PETS S2L1 two on grass and four on the paved road and paths; on the Intel car
aisle two beside the parked cars on the east side, one on the west edge and the lane the cars
drive through; on the Intel car park the empty bays, open asphalt and the lane.

>>> subset("short")
['pets-short', 'intel-short']
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.errors import EdgeError

DWELL_S = 10.0           # the dwell time of the set: the clips are short
AFTER_REMOVAL_S = 15.0   # clip left after a removal, and between two objects in one zone
SNAP_S = 5.0             # how far a passer=True time may move to meet a walker

Point = tuple[int, int]


@dataclass(frozen=True)
class Zone:
    id: str
    polygon: tuple[Point, ...]
    scene: str    # what goes on there: "people" (walk, stand) | "cars" (drive through, flicker)


@dataclass(frozen=True)
class Site:
    """A background clip and what is known of its view."""

    background: str          # a clip of sample_videos/manifest.yaml
    elev: float              # sine of the camera's look-down angle over the zones
    moving: bool             # the camera drifts: objects follow the ground
    zones: tuple[Zone, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """Every zone's id, in order (a clip that uses all of them)."""
        return tuple(z.id for z in self.zones)

    def zone(self, zone_id: str) -> Zone:
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise EdgeError(f"site {self.background}: no zone {zone_id!r}")


@dataclass(frozen=True)
class Drop:
    """One object: ``at`` = the centre of its footprint on the ground (pixels), ``width_px``
    its width across the image; ``remove_s`` None = it stays to the end of the clip."""

    zone: str
    object: str
    at: Point
    width_px: int
    appear_s: float
    remove_s: float | None = None
    passer: bool = False
    carried: bool = False    # carried in by a real walker who stops near ``at`` (a hint) about
    linger_s: float = 10.0   # ``appear_s``, sets it down, stays ``linger_s`` and walks on


@dataclass(frozen=True)
class Wait:
    """Someone of the footage stops near ``at`` about ``at_s`` and stands ``linger_s`` (a
    negative: no object)."""

    zone: str
    at: Point
    at_s: float
    linger_s: float


@dataclass(frozen=True)
class Shadow:
    """A soft shadow that darkens the middle of a zone by ``depth`` over ``ramp_s``, then
    stays (a negative)."""

    zone: str
    appear_s: float
    ramp_s: float = 6.0
    depth: float = 0.35


@dataclass(frozen=True)
class Scenario:
    name: str
    site: Site
    duration_s: float
    zones: tuple[str, ...]      # the zones of this clip (ids of the site's zones)
    drops: tuple[Drop, ...]
    start_frame: int = 0        # where in the ping-pong of the background the clip starts
    seed: int = 1
    dwell_s: float = DWELL_S
    part: str = "tune"          # "tune": parameters may be chosen on it; "check": never
    waits: tuple[Wait, ...] = ()
    shadows: tuple[Shadow, ...] = ()
    drift: float = 0.0          # lighting drift amplitude (gain 1 +- drift)


def _z(zone_id: str, scene: str, *pts: Point) -> Zone:
    return Zone(zone_id, tuple(pts), scene)


PETS = Site("pets2009-s2l1", elev=0.5, moving=False, zones=(
    _z("grass-west", "people", (95, 375), (290, 375), (305, 470), (85, 470)),
    _z("grass-south", "people", (195, 490), (420, 490), (435, 570), (185, 570)),
    _z("road-east", "people", (480, 290), (650, 300), (650, 375), (480, 362)),
    _z("path-lamp", "people", (235, 235), (400, 235), (400, 300), (235, 300)),
    _z("road-north", "people", (455, 165), (700, 165), (700, 235), (455, 235)),
    _z("bay-west", "people", (0, 195), (230, 195), (230, 250), (0, 250)),
))

INTEL_AISLE = Site("intel-car-detection", elev=0.95, moving=True, zones=(
    _z("east-upper", "cars", (560, 45), (745, 45), (745, 195), (560, 195)),
    _z("east-lower", "cars", (560, 235), (745, 235), (745, 405), (560, 405)),
    _z("west-edge", "cars", (4, 165), (96, 165), (96, 405), (4, 405)),
    _z("lane", "cars", (200, 110), (460, 110), (460, 330), (200, 330)),
))

INTEL_LOT = Site("intel-person-bicycle-car", elev=0.8, moving=True, zones=(
    _z("bays", "cars", (300, 50), (600, 50), (560, 140), (280, 140)),
    _z("lot-east", "people", (420, 220), (700, 220), (700, 390), (420, 390)),
    _z("lane-west", "cars", (60, 150), (240, 150), (240, 420), (60, 420)),
))

PETS_S3 = Site("pets2009-s3mf1", elev=0.5, moving=False, zones=(
    _z("road-centre", "people", (450, 255), (640, 255), (655, 340), (460, 330)),
    _z("road-west", "people", (240, 212), (430, 212), (430, 282), (240, 282)),
    _z("grass-tripod", "people", (250, 405), (420, 405), (430, 485), (240, 485)),
    _z("road-south", "people", (560, 385), (735, 400), (735, 470), (560, 455)),
))

INDOOR = Site("intel-one-by-one-person", elev=0.7, moving=False, zones=(
    _z("floor-west", "people", (20, 290), (330, 290), (330, 425), (20, 425)),
    _z("floor-east", "people", (560, 285), (760, 285), (760, 425), (560, 425)),
))

D = Drop
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("pets-short", PETS, 60.0, ("grass-west", "road-east", "bay-west"), (
        D("grass-west", "box", (190, 425), 38, 8.0, 40.0, passer=True),
        D("road-east", "bag", (560, 335), 30, 22.0, 26.0, passer=True),
    ), seed=1),
    Scenario("intel-short", INTEL_AISLE, 50.0, ("east-lower", "east-upper", "lane"), (
        D("east-lower", "box", (650, 320), 55, 6.0, 33.0),
        D("east-upper", "bag", (650, 120), 50, 18.0, 22.0),
    ), seed=5),
    Scenario("pets-a", PETS, 150.0,
             ("grass-west", "road-east", "path-lamp", "bay-west", "road-north"), (
        D("grass-west", "box", (170, 425), 40, 10.0, 48.0, passer=True),
        D("grass-west", "mattress", (200, 440), 110, 75.0, 115.0, passer=True),
        D("road-east", "bag", (565, 335), 32, 12.0, 50.0, passer=True),
        D("road-east", "box", (540, 330), 36, 78.0, 118.0, passer=True),
        D("path-lamp", "box", (320, 268), 30, 35.0, 39.0, passer=True),
    ), seed=2),
    Scenario("pets-b", PETS, 150.0, ("grass-south", "path-lamp", "road-east", "bay-west"), (
        D("grass-south", "mattress", (305, 535), 130, 8.0, 46.0, passer=True),
        D("grass-south", "bag", (280, 540), 48, 72.0, None, passer=True),
        D("path-lamp", "box", (315, 268), 32, 20.0, 58.0, passer=True),
        D("path-lamp", "sofa", (320, 280), 90, 85.0, None, passer=True),
        D("road-east", "bag", (560, 338), 30, 30.0, 34.0, passer=True),
        D("road-east", "box", (575, 332), 34, 100.0, 104.0, passer=True),
    ), start_frame=400, seed=3),
    Scenario("pets-c", PETS, 120.0, ("grass-west", "grass-south", "road-east", "road-north"), (
        D("grass-west", "sofa", (190, 440), 95, 10.0, 48.0, passer=True),
        D("grass-south", "box", (330, 540), 55, 15.0, 55.0, passer=True),
        D("grass-south", "bag", (260, 530), 45, 80.0, 84.0, passer=True),
        D("road-east", "mattress", (565, 340), 95, 30.0, 72.0, passer=True),
        D("road-north", "box", (580, 205), 30, 60.0, 63.0, passer=True),
    ), start_frame=200, seed=4),
    Scenario("intel-a", INTEL_AISLE, 120.0, ("east-upper", "east-lower", "west-edge", "lane"), (
        D("east-upper", "box", (640, 120), 60, 6.0, 42.0),
        D("east-upper", "mattress", (652, 125), 150, 65.0, 100.0),
        D("east-lower", "bag", (650, 320), 60, 12.0, 50.0),
        D("east-lower", "box", (640, 310), 50, 75.0, 79.0),
        D("west-edge", "bag", (50, 300), 55, 20.0, 58.0),
        D("lane", "bag", (330, 220), 45, 90.0, 94.0),
    ), seed=6),
    Scenario("intel-b", INTEL_AISLE, 120.0, ("east-lower", "west-edge", "east-upper", "lane"), (
        D("east-lower", "mattress", (652, 320), 140, 8.0, 46.0),
        D("east-lower", "box", (660, 330), 65, 70.0, None),
        D("west-edge", "box", (50, 260), 45, 15.0, 19.0),
        D("west-edge", "box", (50, 300), 60, 40.0, 80.0),
        D("east-upper", "bag", (650, 120), 50, 30.0, 34.0),
    ), start_frame=180, seed=7),
    Scenario("intel-lot", INTEL_LOT, 100.0, ("bays", "lot-east", "lane-west"), (
        D("bays", "sofa", (440, 100), 95, 6.0, 44.0),
        D("bays", "bag", (430, 100), 35, 65.0, None),
        D("lot-east", "box", (560, 300), 40, 15.0, 55.0),
        D("lot-east", "mattress", (560, 305), 85, 75.0, 79.0),
        D("lane-west", "box", (150, 300), 50, 40.0, 44.0),
    ), seed=8),
    # Carried in by a real walker of the footage, who lingers, then leaves (tuning part).
    Scenario("pets-carried", PETS, 130.0,
             ("road-east", "path-lamp", "road-north", "bay-west", "grass-west"), (
        D("road-east", "bag", (560, 335), 44, 15.0, 75.0, carried=True, linger_s=12.0),
        D("path-lamp", "box", (320, 268), 42, 40.0, None, carried=True, linger_s=8.0),
        D("road-north", "bag", (580, 205), 46, 70.0, None, carried=True, linger_s=18.0),
    ), waits=(Wait("bay-west", (120, 225), 30.0, 15.0),),
       shadows=(Shadow("grass-west", 50.0),), drift=0.12, seed=11),
    # --- the check part: backgrounds, zones and an object kind never used for tuning --------
    Scenario("s3-carried", PETS_S3, 100.0, PETS_S3.ids, (
        D("road-centre", "bag", (540, 300), 44, 20.0, 70.0, carried=True, linger_s=10.0),
        D("road-west", "suitcase", (340, 250), 34, 45.0, None, carried=True, linger_s=15.0),
    ), waits=(Wait("road-south", (640, 430), 10.0, 12.0),), drift=0.1, part="check", seed=21),
    Scenario("s3-drops", PETS_S3, 100.0, PETS_S3.ids, (
        D("grass-tripod", "suitcase", (330, 445), 34, 8.0, 50.0),
        D("road-south", "box", (645, 432), 48, 20.0, None, passer=True),
        D("road-centre", "bag", (550, 295), 38, 30.0, 34.0, passer=True),
        D("road-centre", "box", (545, 298), 44, 55.0, None, passer=True),
    ), shadows=(Shadow("road-west", 40.0),), part="check", seed=22),
    Scenario("s3-carried-b", PETS_S3, 100.0, PETS_S3.ids, (
        D("road-south", "box", (650, 430), 46, 12.0, None, carried=True, linger_s=6.0),
        D("road-centre", "suitcase", (520, 295), 36, 40.0, None, carried=True, linger_s=20.0),
    ), waits=(Wait("road-west", (330, 245), 30.0, 15.0),), start_frame=60, drift=0.15,
       part="check", seed=24),
    Scenario("indoor-b", INDOOR, 100.0, INDOOR.ids, (
        D("floor-east", "suitcase", (650, 360), 64, 8.0, 50.0),
        D("floor-west", "bag", (150, 365), 55, 15.0, None),
        D("floor-east", "box", (670, 355), 50, 70.0, None),
    ), start_frame=500, shadows=(), part="check", seed=25),
    Scenario("indoor-a", INDOOR, 100.0, INDOOR.ids, (
        D("floor-west", "suitcase", (170, 370), 70, 10.0, 55.0),
        D("floor-east", "bag", (660, 365), 60, 20.0, None),
        D("floor-west", "box", (180, 365), 60, 75.0, 79.0),
    ), drift=0.1, part="check", seed=23),
)

SUBSETS: dict[str, tuple[str, ...]] = {
    "short": ("pets-short", "intel-short"),     # the test suite's: one clip per background
    "all": tuple(s.name for s in SCENARIOS),
    "tune": tuple(s.name for s in SCENARIOS if s.part == "tune"),
    "check": tuple(s.name for s in SCENARIOS if s.part == "check"),
}


def names() -> list[str]:
    return [s.name for s in SCENARIOS]


def get(name: str) -> Scenario:
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise EdgeError(f"unknown dumping scenario {name!r} (known: {', '.join(names())})")


def subset(name: str) -> list[str]:
    """Scenario names of a named subset: ``short`` (tests) or ``all``."""
    if name not in SUBSETS:
        raise EdgeError(f"unknown dumping subset {name!r} (known: {', '.join(SUBSETS)})")
    return list(SUBSETS[name])
