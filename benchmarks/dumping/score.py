"""Score drop-off alerts against the exact ground truth of a generated clip.

``alerts`` is what ``edge analyze`` reports for a clip, media seconds::

    [{"zone": "grass-west", "raised_at_s": 19.4, "cleared_at_s": 50.2, "class": "box"}, ...]

(``cleared_at_s`` None while the alert is still open at the end). ``truth`` is the clip's JSON
(:mod:`benchmarks.dumping.generate`).

Matching: an alert belongs to the dump event of its zone whose window
``[appear_s, (remove_s or clip end) + 1 s]`` holds its ``raised_at_s``. Per event: detected (at
least one alert), duplicate (more than one), raise delay (first alert's ``raised_at_s`` minus
the moment the object is *unattended*: its placement, or for an object carried in, the moment its
owner walks away; the product's dwell counts from then), *early* when raised before that, clear
delay (``cleared_at_s - remove_s`` of the alert open at the removal; never
cleared = a *missed clear*; cleared while the object is still there = an *early clear*). Every
alert that matches no event is a *false alert*, filed under what caused it: ``brief`` (a brief
object of that zone, up to a dwell time after it went), ``people`` / ``cars`` (a zone where
nothing is dumped), ``other`` (a dump zone outside its events, e.g. a ghost after a removal) or
``unknown_zone``.

Acceptance (``ACCEPT``): recall >= 0.95, at most 1 false alert, every raise delay <= dwell + 5 s,
every clear delay <= 10 s with no missed or early clear, no duplicate. :func:`combine` also
sums the objects carried in by a person on their own (``carried``).

>>> truth = {"name": "t", "fps": 10.0, "frames": 600, "dwell_s": 10.0, "zones": [],
...          "events": [{"zone": "a", "object": "box", "appear_frame": 100,
...                      "remove_frame": 400}], "negatives": []}
>>> r = score([{"zone": "a", "raised_at_s": 21.0, "cleared_at_s": 44.0}], truth)
>>> r["detected"], r["raise_delay_s"], r["clear_delay_s"], r["pass"]["all"]
(1, [11.0], [4.0], True)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from edge.errors import EdgeError

ACCEPT = {"recall": 0.95, "false_alerts": 1, "raise_margin_s": 5.0, "clear_s": 10.0}
WINDOW_AFTER_S = 1.0    # an alert raised up to this long after the object went still counts
END_TOL_S = 1.0         # an alert closed this close to the clip's end was open to the end

_SUMS = ("events", "detected", "duplicates", "false_alerts", "raise_late", "raise_early",
         "missed_clears", "early_clears")


@dataclass
class _Event:
    zone: str
    obj: str
    appear_s: float
    remove_s: float | None
    hi_s: float
    unattended_s: float
    carried: bool = False
    alerts: list[dict] = field(default_factory=list)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EdgeError(f"{where}: expected a number of seconds, got {value!r}")
    return float(value)


def _alerts(alerts: Sequence[dict]) -> list[dict]:
    """Checked copies, sorted by raise time: one bad alert is a one-line error naming it."""
    out = []
    for i, a in enumerate(alerts):
        if not isinstance(a, dict):
            raise EdgeError(f"alert {i}: expected an object, got {a!r}")
        zone = a.get("zone")
        if not isinstance(zone, str):
            raise EdgeError(f"alert {i}: zone: expected a zone id, got {zone!r}")
        raised = _number(a.get("raised_at_s"), f"alert {i}: raised_at_s")
        cleared = a.get("cleared_at_s")
        if cleared is not None:
            cleared = _number(cleared, f"alert {i}: cleared_at_s")
            if cleared < raised:
                raise EdgeError(f"alert {i}: cleared_at_s {cleared} is before raised_at_s "
                                f"{raised}")
        out.append({"zone": zone, "raised_at_s": raised, "cleared_at_s": cleared,
                     "class": a.get("class")})
    return sorted(out, key=lambda a: a["raised_at_s"])


def _cause(alert: dict, truth: dict, fps: float) -> str:
    """What a false alert is filed under."""
    zone, t = alert["zone"], alert["raised_at_s"]
    for n in truth["negatives"]:
        if n["zone"] != zone:
            continue
        if n["kind"] == "brief" and (n["appear_frame"] / fps <= t
                                     <= n["remove_frame"] / fps + truth["dwell_s"]):
            return "brief"
    kinds = [n["kind"] for n in truth["negatives"] if n["zone"] == zone and n["kind"] != "brief"]
    if kinds:
        return kinds[0]
    known = {z["id"] for z in truth.get("zones", [])} | {e["zone"] for e in truth["events"]}
    return "other" if zone in known else "unknown_zone"


def _event_row(e: _Event, end_s: float) -> dict:
    row: dict = {"zone": e.zone, "object": e.obj, "appear_s": round(e.appear_s, 3),
                 "unattended_s": round(e.unattended_s, 3), "carried": e.carried,
                 "remove_s": None if e.remove_s is None else round(e.remove_s, 3),
                 "alerts": len(e.alerts), "raise_delay_s": None, "clear_delay_s": None,
                 "missed_clear": False, "early_clear": False}
    if not e.alerts:
        return row
    row["raise_delay_s"] = round(e.alerts[0]["raised_at_s"] - e.unattended_s, 3)
    cleared = e.alerts[-1]["cleared_at_s"]
    gone = end_s if e.remove_s is None else e.remove_s
    if cleared is not None and cleared < gone - (END_TOL_S if e.remove_s is None else 0.0):
        row["early_clear"] = True       # the object is still there
    elif e.remove_s is not None:
        if cleared is None:
            row["missed_clear"] = True
        else:
            row["clear_delay_s"] = round(cleared - e.remove_s, 3)
    return row


def score(alerts: Sequence[dict], truth: dict) -> dict:
    """One clip's alerts against its ground truth (see the module docstring)."""
    try:
        fps, end_s = float(truth["fps"]), truth["frames"] / float(truth["fps"])
        dwell = float(truth["dwell_s"])
        events = [_Event(e["zone"], e["object"], e["appear_frame"] / fps,
                         None if e["remove_frame"] is None else e["remove_frame"] / fps,
                         (end_s if e["remove_frame"] is None else e["remove_frame"] / fps)
                         + WINDOW_AFTER_S,
                         e.get("unattended_frame", e["appear_frame"]) / fps,
                         bool(e.get("carried", False)))
                  for e in truth["events"]]
        if not isinstance(truth["negatives"], list):
            raise TypeError("negatives")
    except (KeyError, TypeError, ValueError) as exc:
        raise EdgeError(f"ground truth {truth.get('name', '?')!r}: bad or missing {exc}") from None
    false: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    for a in _alerts(alerts):
        hit = next((e for e in events if e.zone == a["zone"]
                    and e.appear_s <= a["raised_at_s"] <= e.hi_s), None)
        if hit is None:
            false[_cause(a, truth, fps)] += 1
        else:
            hit.alerts.append(a)
            classes[str(a["class"])] += 1
    rows = [_event_row(e, end_s) for e in events]
    raise_d = [r["raise_delay_s"] for r in rows if r["raise_delay_s"] is not None]
    clear_d = [r["clear_delay_s"] for r in rows if r["clear_delay_s"] is not None]
    result = {
        "name": truth.get("name"), "dwell_s": dwell,
        "events": len(rows), "detected": sum(r["alerts"] > 0 for r in rows),
        "duplicates": sum(r["alerts"] > 1 for r in rows),
        "false_alerts": sum(false.values()), "false_by": dict(sorted(false.items())),
        "raise_delay_s": raise_d,
        "raise_late": sum(d > dwell + ACCEPT["raise_margin_s"] for d in raise_d),
        "raise_early": sum(d < 0 for d in raise_d),
        "clear_delay_s": clear_d,
        "missed_clears": sum(r["missed_clear"] for r in rows),
        "early_clears": sum(r["early_clear"] for r in rows),
        "classes": dict(sorted(classes.items())),
        "per_event": rows,
    }
    return _summarise(result)


def _summarise(r: dict) -> dict:
    """Recall, maxima and the acceptance flags from the counts and lists."""
    r["recall"] = round(r["detected"] / r["events"], 4) if r["events"] else None
    r["raise_delay_max"] = max(r["raise_delay_s"], default=None)
    r["clear_delay_max"] = max(r["clear_delay_s"], default=None)
    flags = {
        "recall": r["recall"] is None or r["recall"] >= ACCEPT["recall"],
        "false_alerts": r["false_alerts"] <= ACCEPT["false_alerts"],
        "raise_delay": r["raise_late"] == 0,
        "clear_delay": (r["missed_clears"] == 0 and r["early_clears"] == 0
                        and all(d <= ACCEPT["clear_s"] for d in r["clear_delay_s"])),
        "duplicates": r["duplicates"] == 0,
    }
    flags["all"] = all(flags.values())
    r["pass"] = flags
    return r


def combine(results: Sequence[dict]) -> dict:
    """The set's figures from per-clip results of :func:`score` (acceptance on the whole)."""
    total: dict = {k: sum(r[k] for r in results) for k in _SUMS}
    false: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    for r in results:
        false.update(r["false_by"])
        classes.update(r["classes"])
    total.update({
        "clips": len(results), "false_by": dict(sorted(false.items())),
        "classes": dict(sorted(classes.items())),
        "raise_delay_s": [d for r in results for d in r["raise_delay_s"]],
        "clear_delay_s": [d for r in results for d in r["clear_delay_s"]],
    })
    out = _summarise(total)
    rows = [e for r in results for e in r.get("per_event", ()) if e.get("carried")]
    raise_d = [e["raise_delay_s"] for e in rows if e["raise_delay_s"] is not None]
    dwell = max((r["dwell_s"] for r in results if r.get("dwell_s") is not None), default=0.0)
    out["carried"] = {
        "events": len(rows), "detected": sum(e["alerts"] > 0 for e in rows),
        "duplicates": sum(e["alerts"] > 1 for e in rows),
        "recall": round(sum(e["alerts"] > 0 for e in rows) / len(rows), 4) if rows else None,
        "raise_delay_s": raise_d, "raise_delay_max": max(raise_d, default=None),
        "raise_late": sum(d > dwell + ACCEPT["raise_margin_s"] for d in raise_d),
        "raise_early": sum(d < 0 for d in raise_d),
    }
    return out
