"""``GET /v1/parking/...``: lots and their current occupancy, space states, occupancy over time.

Only lot and space ids, states, counts and times: never a vehicle, a box or an image (a lot's
empty-state reference is reported by its kind and a count of learnt spaces, never its content).
A lot whose camera has stopped analysing it reads as unknown rather than as its last known state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from api.deps import ClockDep, StoreDep
from api.ranges import aligned_range, invalid
from api.schemas import LotOut, OccupancyOut, OccupancyQuery, SpaceOut, from_epoch
from edge.store import Store

router = APIRouter(prefix="/parking", tags=["parking"])

_NOT_FOUND = {status.HTTP_404_NOT_FOUND: {"description": "Unknown lot."}}
CameraParam = Annotated[str | None, Query(description="The lot's camera; needed only when "
                                                      "several cameras have a lot with this id.")]


def _camera_of(store: Store, lot: str, camera: str | None) -> str:
    """The camera of ``lot``: 404 if no camera has it, 422 if several do and none is named."""
    cameras = store.lot_cameras(lot)
    if camera in cameras or (camera is None and len(cameras) == 1):
        return camera or cameras[0]
    if cameras and camera is None:
        invalid("camera", f"lot {lot!r} is watched by cameras {', '.join(cameras)}: "
                          f"name one with camera=")
    known = list(dict.fromkeys(s.lot for s in store.lots(now=0.0)))
    where = "" if camera is None else f" on camera {camera!r}"
    raise HTTPException(status.HTTP_404_NOT_FOUND,
                        f"unknown lot {lot!r}{where}; known lots: "
                        f"{', '.join(known[:20]) or 'none'}{' ...' if len(known) > 20 else ''}")


def _when(ts: float | None) -> datetime | None:
    return None if ts is None else from_epoch(ts)


@router.get("/lots", response_model=list[LotOut], summary="Lots and their current occupancy")
def lots(store: StoreDep, clock: ClockDep, camera: CameraParam = None) -> list[LotOut]:
    return [  # type: ignore[return-value]
        {"lot": s.lot, "camera": s.camera, "spaces": s.spaces, "occupied": s.occupied,
         "free": s.free, "unknown": s.unknown, "updated_at": _when(s.updated_at),
         "reference": {"kind": s.reference, "learnt_spaces": s.learnt, "spaces": s.spaces}}
        for s in store.lots(now=clock(), camera=camera)
    ]


@router.get("/lots/{lot}/spaces", response_model=list[SpaceOut], responses=_NOT_FOUND,
            summary="Current state of each space of a lot")
def spaces(lot: Annotated[str, Path(description="Lot id.")], store: StoreDep, clock: ClockDep,
           camera: CameraParam = None) -> list[SpaceOut]:
    cam = _camera_of(store, lot, camera)
    return [  # type: ignore[return-value]
        {"space": s.space, "category": s.category, "state": s.state, "since": _when(s.since)}
        for s in store.spaces(cam, lot, now=clock())
    ]


@router.get("/occupancy", response_model=OccupancyOut, responses=_NOT_FOUND,
            summary="Occupancy of a lot over time, and stays per duration band")
def occupancy(q: Annotated[OccupancyQuery, Query()], store: StoreDep,
              clock: ClockDep) -> OccupancyOut:
    start, end = aligned_range(q, clock(), store)
    cam = _camera_of(store, q.lot, q.camera)
    s = store.occupancy_series(cam, q.lot, start, end, q.interval_s)
    # Plain dicts, validated once by the response model (as in the counts router).
    return {  # type: ignore[return-value]
        "lot": s.lot, "camera": s.camera, "interval": q.interval, "from": from_epoch(start),
        "to": from_epoch(end), "spaces": s.spaces, "stays": s.stays,
        "buckets": [
            {"start": from_epoch(b.start), "end": from_epoch(b.end), "samples": b.samples,
             "mean_occupied": b.mean_occupied, "min_occupied": b.min_occupied,
             "max_occupied": b.max_occupied, "mean_free": b.mean_free,
             "mean_unknown": b.mean_unknown, "occupancy": b.occupancy, "spaces": b.spaces,
             "coverage_s": b.coverage_s} for b in s.buckets],
    }
