"""``GET /v1/counts``: zero-filled line counts per class and direction, with coverage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ClockDep, StoreDep
from api.ranges import aligned_range
from api.schemas import CountsOut, CountsQuery, from_epoch

router = APIRouter(tags=["counts"])


@router.get("/counts", response_model=CountsOut, summary="Line counts over time")
def counts(q: Annotated[CountsQuery, Query()], store: StoreDep, clock: ClockDep) -> CountsOut:
    start, end = aligned_range(q, clock(), store)
    series = store.count_series(camera=q.camera, line=q.line, start=start, end=end,
                                interval_s=q.interval_s, classes=q.class_list)
    # Plain dicts: the response model validates and serialises them once (models here would be
    # validated twice, which matters at 10 000 buckets per series).
    return {  # type: ignore[return-value]
        "interval": q.interval, "from": from_epoch(start), "to": from_epoch(end),
        "series": [{"camera": s.camera, "line": s.line, "buckets": [
            {"start": from_epoch(b.start), "end": from_epoch(b.end), "coverage": b.coverage,
             "in": b.in_, "out": b.out, "total": b.total} for b in s.buckets]}
            for s in series],
    }
