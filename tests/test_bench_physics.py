"""benchmarks.physics: FLOPs counted from ONNX graphs, the onnxruntime throughput probe, the
compute-bound floor, and (integration) the real models' FLOPs against their published figures.

The unit models are built here with onnx.helper, so their MACs follow from their shapes by hand.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="onnx (the `bench` extra) is not installed")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from benchmarks import machine_info, physics, run_cli  # noqa: E402
from benchmarks.physics import (  # noqa: E402
    Probe,
    count_macs,
    floor_ms,
    floor_multiple,
    measure_inference_ms,
    model_flops,
    probe_gflops,
    probe_numpy_gflops,
    reference_row,
)
from edge.errors import EdgeError  # noqa: E402
from edge.manifest import load_manifest  # noqa: E402


def _has_onnx_tool() -> bool:
    try:
        import onnx_tool  # noqa: F401
    except ImportError:
        return False
    return True


COUNTERS = ["onnx", pytest.param("onnx-tool", marks=pytest.mark.skipif(
    not _has_onnx_tool(), reason="onnx-tool not installed"))]


def make_model(nodes, inputs, outputs, inits=(), opset=13) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "t", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def weight(name, shape, dtype=np.float32):
    return numpy_helper.from_array(np.ones(shape, dtype), name)


def conv_model(bias: bool = True, batch: int | str = 1) -> onnx.ModelProto:
    """1x3x8x8 -> 3x3 conv, pad 1 -> 1x4x8x8: 256 outputs x 27 MACs (+ 256 bias adds)."""
    inits = [weight("w", (4, 3, 3, 3))] + ([weight("b", (4,))] if bias else [])
    node = helper.make_node("Conv", ["x", "w"] + (["b"] if bias else []), ["y"],
                            pads=[1, 1, 1, 1])
    return make_model([node], [f32("x", [batch, 3, 8, 8])], [f32("y", [batch, 4, 8, 8])], inits)


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


# --- counting --------------------------------------------------------------------------------


@pytest.mark.parametrize("counter", COUNTERS)
def test_conv_flops_exact(tmp_path, counter):
    cost = model_flops(save(conv_model(), tmp_path / "conv.onnx"), counter)
    assert cost.macs == 4 * 8 * 8 * 3 * 3 * 3 + 4 * 8 * 8 == 7168
    assert cost.flops == 2 * cost.macs == 14336  # a multiply-add is 2 FLOPs
    assert cost.params == 4 * 27 + 4
    assert cost.input_shape == (1, 3, 8, 8)
    assert cost.file_bytes == (tmp_path / "conv.onnx").stat().st_size
    assert cost.int8 is False
    assert cost.counter == ("onnx-tool" if counter == "onnx-tool" else "onnx shape inference")


@pytest.mark.parametrize("counter", COUNTERS)
def test_depthwise_strided_conv_without_bias(counter):
    # groups=4, stride 2: output 1x4x4x4 = 64 elements, each 1 x 3 x 3 = 9 MACs
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2],
                            group=4)
    model = make_model([node], [f32("x", [1, 4, 8, 8])], [f32("y", [1, 4, 4, 4])],
                       [weight("w", (4, 1, 3, 3))])
    assert count_macs(model, counter)[0] == 64 * 9


@pytest.mark.parametrize("counter", COUNTERS)
def test_matmul_and_gemm(counter):
    # MatMul [2,10,16] x [16,8]: 2*10*8 outputs x 16 MACs;
    # Gemm transA [16,5]^T x [16,3] + C: 5*3 outputs x 16 MACs + 15 bias adds
    nodes = [helper.make_node("MatMul", ["a", "wm"], ["m"]),
             helper.make_node("Gemm", ["g", "wg", "c"], ["o"], transA=1)]
    model = make_model(nodes, [f32("a", [2, 10, 16]), f32("g", [16, 5])],
                       [f32("m", [2, 10, 8]), f32("o", [5, 3])],
                       [weight("wm", (16, 8)), weight("wg", (16, 3)), weight("c", (3,))])
    assert count_macs(model, counter)[0] == 2 * 10 * 8 * 16 + 5 * 3 * 16 + 15


def test_dynamic_int8_falls_back_and_counts_like_float(tmp_path):
    # The yolo11n_int8 pattern: DynamicQuantizeLinear -> ConvInteger (uint8, no bias input).
    # onnx-tool has no shape inference for DynamicQuantizeLinear: "auto" must fall back.
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             helper.make_node("ConvInteger", ["xq", "w", "xz"], ["y"], pads=[1, 1, 1, 1])]
    model = make_model(nodes, [f32("x", [1, 3, 8, 8])],
                       [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 4, 8, 8])],
                       [weight("w", (4, 3, 3, 3), np.uint8)])
    cost = model_flops(save(model, tmp_path / "q.onnx"))
    assert cost.int8 is True
    assert cost.macs == 4 * 8 * 8 * 27
    assert cost.counter == "onnx shape inference"
    assert cost.params == 4 * 27


def test_cached_per_file_version(tmp_path):
    path = save(conv_model(bias=True), tmp_path / "m.onnx")
    first = model_flops(path)
    assert model_flops(path) is first
    save(conv_model(bias=False), path)  # a replaced file (other size) is counted again
    assert model_flops(path).macs == 4 * 8 * 8 * 27


def test_dynamic_input_needs_a_shape(tmp_path):
    path = save(conv_model(batch="N"), tmp_path / "dyn.onnx")
    with pytest.raises(EdgeError, match="dynamic"):
        model_flops(path)
    assert model_flops(path, input_shape=(2, 3, 8, 8)).macs == 2 * 7168


def test_bad_files_are_edge_errors(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(EdgeError, match="junk.onnx"):
        model_flops(junk)
    with pytest.raises(EdgeError, match="missing.onnx"):
        model_flops(tmp_path / "missing.onnx")


# --- floor and probe -------------------------------------------------------------------------


def test_floor_arithmetic():
    assert floor_ms(2e9, 100.0) == pytest.approx(20.0)
    assert floor_ms(0.0, 100.0) == 0.0
    assert floor_multiple(40.0, 2e9, 100.0) == pytest.approx(2.0)
    assert floor_multiple(10.0, 2e9, 100.0) == pytest.approx(0.5)
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError):
            floor_ms(1e9, bad)


@pytest.mark.parametrize("int8", [False, True])
def test_probe_is_positive_finite_and_quick(int8):
    t0 = time.perf_counter()
    g = probe_gflops(seconds=0.1, threads=1, int8=int8)
    assert math.isfinite(g) and g > 0.1
    assert time.perf_counter() - t0 < 5.0


def test_numpy_probe():
    g = probe_numpy_gflops(seconds=0.1, n=128)
    assert math.isfinite(g) and g > 0.01


def test_best_rate_takes_the_best_window():
    # Warm-up steps take 20 ms, the others 1 ms (sleep): the rate is steps per second of the
    # windows after warm-up, so above the slow rate (50/s) and never above 1000/s.
    state = {"n": 0}

    def step():
        state["n"] += 1
        time.sleep(0.001 if state["n"] > 3 else 0.02)

    rate = physics._best_rate(step, 1.0, seconds=0.05, reps=5, warmup=3)
    assert 100 < rate <= 1000


def test_measure_and_row_on_a_tiny_model(tmp_path):
    path = save(conv_model(), tmp_path / "conv.onnx")
    ms = measure_inference_ms(path, threads=1, runs=5)
    assert math.isfinite(ms) and ms > 0
    probe = Probe(1, 0.1, fp32_gflops=10.0, int8_gops=20.0, numpy_gflops=5.0, fp32_lowest=10.0)
    row = reference_row("conv", path, probe, inference_ms=ms)
    assert row.probe_gflops == 10.0
    assert row.floor_ms == pytest.approx(14336 / 10e9 * 1e3)
    assert row.multiple == pytest.approx(ms / row.floor_ms)
    assert reference_row("conv", path, probe).multiple is None


def test_probes_merge_to_the_best_and_flag_a_busy_machine(tmp_path):
    quiet = Probe(2, 1.0, 100.0, 120.0, 50.0, fp32_lowest=100.0)
    busy = Probe(2, 0.25, 40.0, 130.0, 20.0, fp32_lowest=40.0)
    both = quiet.merge(busy)
    assert (both.fp32_gflops, both.int8_gops, both.numpy_gflops) == (100.0, 130.0, 50.0)
    assert (both.fp32_lowest, both.count, both.seconds) == (40.0, 2, 1.0)
    row = reference_row("conv", save(conv_model(), tmp_path / "c.onnx"), both, inference_ms=1.0)
    assert "Busy machine" in physics.markdown([row], both, machine_info())
    assert "Busy machine" not in physics.markdown([row], quiet, machine_info())


def test_cli_table_and_json(tmp_path, capsys):
    path = save(conv_model(), tmp_path / "conv.onnx")
    out = tmp_path / "o" / "phys.json"
    assert physics.main(["--model", str(path), "--seconds", "0.05", "--threads", "1",
                         "--measure", "--runs", "3", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| conv | 8x8 | fp32 |" in text and "GFLOP/s" in text
    doc = json.loads(out.read_text())
    assert doc["rows"][0]["cost"]["flops"] == 14336
    assert doc["rows"][0]["multiple"] > 0
    assert doc["probe"]["fp32_gflops"] > 0


def test_cli_unknown_model_is_one_line_error(capsys):
    assert run_cli("benchmarks.physics", physics.main, ["--model", "no_such_model"]) == 2
    assert "unknown model" in capsys.readouterr().err


# --- the real models -------------------------------------------------------------------------

# Published GFLOPs (2 x MACs, thop convention) and parameters (M) of each manifest model:
# YOLOX README (YOLOX-Nano 416: 0.91 M, 1.08 G, thop MACs x 2 in yolox/utils/model_utils.py);
# PaddleDetection configs/picodet README, release 2.3 (PicoDet-S 320: 0.99 M, 0.73 G;
# 416: 0.99 M, 1.24 G); NanoDet README (NanoDet-m 416: 0.95 M, 1.2 G; 0.72 G is its 320 figure);
# Ultralytics YOLO11n 640: 2.6 M, 6.5 G (thop x 2), scaled by (320/640)^2 for this 320 export.
PUBLISHED = {
    "yolox_nano": (1.08, 0.91),
    "picodet_s_416": (1.24, 0.99),
    "picodet_s_320": (0.73, 0.99),
    "nanodet_m": (1.2, 0.95),
    "yolo11n_int8": (6.5 * (320 / 640) ** 2, 2.6),
}
# Measured: -1.6 %, -2.9 %, -2.5 %, -2.2 %, -0.1 % (GFLOPs); params within 2 %. Counts are
# deterministic, so the band only absorbs how the publishers counted (BN, bias, head parts).
FLOPS_BAND = 0.05
PARAMS_BAND = 0.05


@pytest.mark.integration
def test_real_models_match_published_figures(assets):
    manifest = load_manifest()
    assert {m.name for m in manifest.models} <= set(PUBLISHED), "add the new model's figures"
    for spec in manifest.models:
        path = assets / "models" / spec.file
        if not path.is_file():
            pytest.fail(f"{path} missing")
        cost = model_flops(path)
        gflops, mparams = PUBLISHED[spec.name]
        assert cost.flops / 1e9 == pytest.approx(gflops, rel=FLOPS_BAND), spec.name
        assert cost.params / 1e6 == pytest.approx(mparams, rel=PARAMS_BAND), spec.name
        assert cost.input_shape == (1, 3, spec.input_size[1], spec.input_size[0])
        assert cost.int8 == spec.name.endswith("int8")


@pytest.mark.integration
@pytest.mark.skipif(not _has_onnx_tool(), reason="onnx-tool not installed")
def test_real_models_both_counters_agree(assets):
    # onnx-tool (the library) and the onnx-shape-inference fallback count the same MACs exactly
    for spec in load_manifest().models:
        model = onnx.load(str(assets / "models" / spec.file))
        if spec.name.endswith("int8"):
            continue  # onnx-tool cannot infer DynamicQuantizeLinear shapes: fallback only
        assert count_macs(model, "onnx-tool")[0] == count_macs(model, "onnx")[0], spec.name
