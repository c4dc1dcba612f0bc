"""``GET /v1/counts``: zero-filled line counts per class and direction, with coverage."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.deps import ClockDep, StoreDep
from api.schemas import MAX_BUCKETS, CountsOut, CountsQuery, from_epoch

router = APIRouter(tags=["counts"])


def _range(q: CountsQuery, now: float) -> tuple[int, int]:
    """Aligned [start, end) in Unix seconds; by default the last hour up to now. 422 if unusable."""
    step = q.interval_s
    end = math.ceil((now if q.to is None else q.to.timestamp()) / step) * step
    if q.from_ is None:
        start = end - max(3600, step)
    else:
        start = math.floor(q.from_.timestamp() / step) * step
    if not start < end:
        _invalid("from", f"'from' ({from_epoch(start).isoformat()}) must be before "
                         f"'to' ({from_epoch(end).isoformat()})")
    n = (end - start) // step
    if n > MAX_BUCKETS:
        _invalid("from", f"the range holds {n} buckets of {q.interval}; at most {MAX_BUCKETS} "
                         f"per series: narrow from/to or use a longer interval")
    return start, end


def _invalid(field: str, msg: str) -> None:
    raise RequestValidationError([{"type": "value_error", "loc": ("query", field), "msg": msg,
                                   "input": None}])


@router.get("/counts", response_model=CountsOut, summary="Line counts over time")
def counts(q: Annotated[CountsQuery, Query()], store: StoreDep, clock: ClockDep) -> CountsOut:
    if q.interval_s % store.bin_seconds:
        _invalid("interval", f"interval {q.interval} is finer than the store's "
                             f"{store.bin_seconds} s bins")
    start, end = _range(q, clock())
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
