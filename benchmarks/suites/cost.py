"""Cost: analysed fps, ms per frame per stage, CPU seconds per video second, peak RSS, model
size, and inference time as a multiple of the compute-bound floor (benchmarks/physics.py)."""

from __future__ import annotations

from benchmarks.suites.base import Run

KEYS = ("fps", "ms_per_frame", "cpu_s_per_video_s", "cores_busy", "peak_rss_mib")


class CostSuite:
    name = "cost"

    def applies(self, run: Run) -> bool:
        return bool(run.cost)

    def score(self, run: Run) -> dict:
        out = {k: run.cost[k] for k in KEYS if k in run.cost}
        if run.model_path is not None:
            out["model_mib"] = round(run.model_path.stat().st_size / 2**20, 2)
            out.update(_floor(run))
        return out


def _floor(run: Run) -> dict:
    """GFLOPs per frame and inference ms / floor ms, when physics can profile the model."""
    from benchmarks.physics import floor_ms, model_flops

    ms = (run.cost.get("ms_per_frame") or {}).get("inference")
    cost = model_flops(run.model_path)
    out = {"gflops_per_frame": round(cost.flops / 1e9, 3), "int8": cost.int8}
    probe = run.probe
    if ms and probe is not None:
        # int8 models against the int8 probe: like for like.
        floor = floor_ms(cost.flops, probe.for_cost(cost))
        out.update(floor_ms=round(floor, 3), floor_multiple=round(ms / floor, 2))
    return out
