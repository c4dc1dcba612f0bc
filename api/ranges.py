"""The time range of a series query: defaults, alignment to the interval, the bucket limit.

Shared by ``/v1/counts`` and ``/v1/parking/occupancy`` so both read ``from``/``to`` alike.
"""

from __future__ import annotations

import math
from typing import NoReturn

from fastapi.exceptions import RequestValidationError

from api.schemas import MAX_BUCKETS, RangeQuery, from_epoch
from edge.store import Store


def aligned_range(q: RangeQuery, now: float, store: Store) -> tuple[int, int]:
    """Aligned [start, end) in Unix seconds; by default the last hour up to now. 422 if unusable."""
    step = q.interval_s
    if step % store.bin_seconds:
        invalid("interval", f"interval {q.interval} is finer than the store's "
                            f"{store.bin_seconds} s bins")
    end = math.ceil((now if q.to is None else q.to.timestamp()) / step) * step
    if q.from_ is None:
        start = end - max(3600, step)
    else:
        start = math.floor(q.from_.timestamp() / step) * step
    if not start < end:
        invalid("from", f"'from' ({from_epoch(start).isoformat()}) must be before "
                        f"'to' ({from_epoch(end).isoformat()})")
    n = (end - start) // step
    if n > MAX_BUCKETS:
        invalid("from", f"the range holds {n} buckets of {q.interval}; at most {MAX_BUCKETS} "
                        f"per series: narrow from/to or use a longer interval")
    return start, end


def invalid(field: str, msg: str) -> NoReturn:
    """A 422 shaped like FastAPI's own validation errors, naming the query field."""
    raise RequestValidationError([{"type": "value_error", "loc": ("query", field), "msg": msg,
                                   "input": None}])
