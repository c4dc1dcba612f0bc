"""Physical reference: how far each detector's inference is from this CPU's compute-bound floor.

For each model: its FLOPs per frame (counted from the ONNX graph) and this CPU's sustained
GFLOP/s (a short probe run with onnxruntime itself, same threads and session options as the
product), giving the floor ``FLOPs / (GFLOP/s)`` in ms per frame; the measured inference time is
then reported as a multiple of that floor.

Counting convention, the one YOLOX, Ultralytics and thop use for their published figures: only
Conv, ConvTranspose, MatMul and Gemm (and their integer forms) are counted; a multiply-add is one
MAC and **2 FLOPs**; a bias add inside the op is one MAC; activations, element-wise adds, resizes
and pooling are not counted.

    python -m benchmarks.physics                         # every manifest model found, 2 threads
    python -m benchmarks.physics --measure --json out/bench/physics.json

>>> floor_ms(1.0e9, 100.0)            # 1 GFLOP at 100 GFLOP/s
10.0
>>> floor_multiple(25.0, 1.0e9, 100.0)
2.5
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from benchmarks import machine_info, machine_line, markdown_table, run_cli, split_names, write_text
from edge.detectors.onnx_model import session_options
from edge.errors import EdgeError

Counter = Literal["auto", "onnx-tool", "onnx"]

CONV_OPS = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3}  # op -> index of its weight input
MATMUL_OPS = {"MatMul", "MatMulInteger", "QLinearMatMul", "Gemm"}
MAC_OPS = frozenset({*CONV_OPS, "ConvTranspose", *MATMUL_OPS})
INT8_OPS = frozenset({"ConvInteger", "QLinearConv", "MatMulInteger", "QLinearMatMul"})
# Weight-like initializers counted as parameters: float32/uint8/int8/float16/float64/bfloat16.
# int64 initializers are shapes and axes, not weights.
PARAM_DTYPES = frozenset({1, 2, 3, 10, 11, 16})

# The probe: a dense 3x3 conv, 64 -> 64 channels at 52x52 (a stride-8 level of a 416 detector).
PROBE_CHANNELS = 64
PROBE_SIZE = 52


# --- FLOPs of a model ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCost:
    """What one inference of a model costs, counted from its graph.

    ``flops`` = 2 x ``macs`` (a multiply-add is 2 FLOPs). ``int8``: its MAC ops run on 8-bit
    integers (dynamic or static quantisation); its MACs are counted the same way.
    """

    path: Path
    macs: int
    params: int
    input_shape: tuple[int, ...]
    file_bytes: int
    int8: bool
    counter: str

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def to_dict(self) -> dict:
        return {**asdict(self), "path": str(self.path), "flops": self.flops}


def _attr(node, name: str, default: int) -> int:
    return next((a.i for a in node.attribute if a.name == name), default)


def _static_shapes(model) -> dict[str, tuple[int | None, ...]]:
    """Every tensor's shape after onnx's shape inference (None for an unknown dim)."""
    from onnx import shape_inference

    inferred = shape_inference.infer_shapes(model, data_prop=True)
    g = inferred.graph
    shapes: dict[str, tuple[int | None, ...]] = {}
    for vi in [*g.input, *g.value_info, *g.output]:
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else None
                                    for d in vi.type.tensor_type.shape.dim)
    shapes.update({t.name: tuple(t.dims) for t in g.initializer})
    return shapes


def _node_macs(node, shapes: dict[str, tuple[int | None, ...]]) -> int | None:
    """MACs of one Conv/MatMul-like node, bias add included as 1 MAC (onnx-tool's and thop's
    convention); None when a shape it needs is unknown."""
    def known(name: str) -> tuple[int, ...] | None:
        shape = shapes.get(name)
        return shape if shape is not None and None not in shape else None  # type: ignore[return-value]

    op = node.op_type
    if op in CONV_OPS or op == "ConvTranspose":
        w, y = known(node.input[CONV_OPS.get(op, 1)]), known(node.output[0])
        if w is None or y is None:
            return None
        if op == "ConvTranspose":  # each input element scatters into Cout/group x kernel outputs
            x = known(node.input[0])
            macs = None if x is None else math.prod(x) * w[1] * math.prod(w[2:])
        else:                      # each output element gathers Cin/group x kernel inputs
            macs = math.prod(y) * math.prod(w[1:])
        bias = 2 if op in ("Conv", "ConvTranspose") else 8  # QLinearConv: B is input 8
        has_bias = len(node.input) > bias and node.input[bias] != ""
        return None if macs is None else macs + (math.prod(y) if has_bias else 0)
    a, y = known(node.input[0]), known(node.output[0])
    if a is None or y is None:
        return None
    k = a[-2] if op == "Gemm" and _attr(node, "transA", 0) else a[-1]
    has_c = op == "Gemm" and len(node.input) > 2 and node.input[2] != ""
    return math.prod(y) * k + (math.prod(y) if has_c else 0)


def _count_onnx(model, where: str) -> int:
    """MACs with onnx's own shape inference and :func:`_node_macs`."""
    shapes = _static_shapes(model)
    total = 0
    for node in model.graph.node:
        if node.op_type in MAC_OPS:
            macs = _node_macs(node, shapes)
            if macs is None:
                raise EdgeError(f"{where}: cannot infer the shapes of {node.op_type} node "
                                f"{node.name or '?'} (dynamic input? give an input shape)")
            total += macs
    return total


def _count_onnx_tool(model) -> int:
    """MACs with onnx-tool's profiler, summed over the MAC ops only (its total also prices
    activations and element-wise ops by cost estimates, which are not FLOPs)."""
    import onnx
    import onnx_tool

    private = onnx.ModelProto()
    private.CopyFrom(model)  # onnx-tool may edit the graph it is given
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "op X is not registered for profiling" for Split etc.
        graph = onnx_tool.Model(private, {"verbose": False}).graph
        graph.shape_infer()
        graph.profile()
    if not graph.valid_profile:
        raise RuntimeError("onnx-tool could not profile the graph")
    return int(sum(n.macs[0] for n in graph.nodemap.values() if n.op_type in MAC_OPS))


def _input(model):
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if not inputs:
        raise ValueError("the graph has no input")
    return inputs[0]


def _fix_input_shape(model, shape: tuple[int, ...] | None, where: str) -> tuple[int, ...]:
    """Set the first input's dims to ``shape`` (in place) where given; return the static shape."""
    dims = _input(model).type.tensor_type.shape.dim
    if shape is not None:
        if len(shape) != len(dims):
            raise EdgeError(f"{where}: input shape {shape} has {len(shape)} dims, "
                            f"the model's input has {len(dims)}")
        for d, v in zip(dims, shape, strict=True):
            d.dim_value = int(v)
    fixed = tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)
    if None in fixed:
        raise EdgeError(f"{where}: input {_input(model).name} has dynamic dims "
                        f"{fixed}; give an input shape")
    return fixed  # type: ignore[return-value]


def count_macs(model, counter: Counter = "auto", where: str = "model") -> tuple[int, str]:
    """(MACs, which counter) of an in-memory ``onnx.ModelProto`` with static input dims.

    ``auto``: onnx-tool when installed and able (it has no shape inference for
    DynamicQuantizeLinear, so dynamic-int8 exports fall back), else onnx's shape inference.
    """
    if counter in ("auto", "onnx-tool"):
        try:
            return _count_onnx_tool(model), "onnx-tool"
        except Exception as exc:  # ImportError, or its NotImplementedError on an op
            if counter == "onnx-tool":
                raise EdgeError(f"{where}: onnx-tool cannot count it ({exc})") from None
    return _count_onnx(model, where), "onnx shape inference"


@lru_cache(maxsize=64)
def _model_cost(path: str, mtime_ns: int, size: int, counter: Counter,
                input_shape: tuple[int, ...] | None) -> ModelCost:
    # Keyed on mtime and size so a replaced file is counted again; the cache lives in this process.
    import onnx

    try:
        model = onnx.load(path)
        _input(model)
    except Exception as exc:  # protobuf's DecodeError, or a graph without input
        raise EdgeError(f"{path}: not a readable ONNX model ({str(exc)[:120]})") from None
    shape = _fix_input_shape(model, input_shape, path)
    macs, used = count_macs(model, counter, path)
    params = sum(math.prod(t.dims) for t in model.graph.initializer
                 if t.data_type in PARAM_DTYPES)
    int8 = any(n.op_type in INT8_OPS for n in model.graph.node)
    return ModelCost(Path(path), macs, params, shape, size, int8, used)


def model_flops(path: Path | str, counter: Counter = "auto",
                input_shape: tuple[int, ...] | None = None) -> ModelCost:
    """FLOPs, MACs, parameters, input shape and file size of an ONNX model (cached per file
    version). ``input_shape`` fixes dynamic input dims, e.g. ``(1, 3, 416, 416)``."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise EdgeError(f"model file {p}: {exc.strerror}") from None
    shape = tuple(int(v) for v in input_shape) if input_shape is not None else None
    return _model_cost(str(p), st.st_mtime_ns, st.st_size, counter, shape)


# --- this CPU's sustained throughput ---------------------------------------------------------


def probe_model(int8: bool = False, channels: int = PROBE_CHANNELS, size: int = PROBE_SIZE):
    """A one-node ONNX model: 3x3 conv, ``channels`` -> ``channels`` at ``size`` x ``size``,
    padding 1; float32 Conv with bias, or ConvInteger on uint8 (what dynamic-int8 exports run)."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    shape = [1, channels, size, size]
    if int8:
        weights = [numpy_helper.from_array(
                       rng.integers(0, 256, (channels, channels, 3, 3), dtype=np.uint8), "w"),
                   numpy_helper.from_array(np.array(128, np.uint8), "x_zero"),
                   numpy_helper.from_array(np.array(128, np.uint8), "w_zero")]
        node = helper.make_node("ConvInteger", ["x", "w", "x_zero", "w_zero"], ["y"],
                                pads=[1, 1, 1, 1])
        types = (TensorProto.UINT8, TensorProto.INT32)
    else:
        w = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32) * 0.05
        weights = [numpy_helper.from_array(w, "w"),
                   numpy_helper.from_array(np.zeros(channels, np.float32), "b")]
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])
        types = (TensorProto.FLOAT, TensorProto.FLOAT)
    graph = helper.make_graph([node], "probe",
                              [helper.make_tensor_value_info("x", types[0], shape)],
                              [helper.make_tensor_value_info("y", types[1], shape)], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by onnxruntime >= 1.14
    return model


def _best_rate(step, work: float, seconds: float, reps: int = 5, warmup: int = 3) -> float:
    """Best of ``reps`` windows of ``seconds / reps`` each: ``work`` units per second. The best
    window is the sustained peak; the others lost time to whatever else ran on the machine."""
    for _ in range(warmup):
        step()
    window = seconds / reps
    best = 0.0
    for _ in range(reps):
        n, t0 = 0, time.perf_counter()
        while True:
            step()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= window:
                break
        best = max(best, work * n / elapsed)
    return best


def probe_gflops(seconds: float = 1.0, threads: int = 2, int8: bool = False) -> float:
    """This CPU's sustained GFLOP/s (GOP/s for ``int8``) with onnxruntime, ``threads`` intra-op
    threads, on :func:`probe_model`; FLOPs counted as for the models (2 per MAC)."""
    import onnxruntime as ort

    model = probe_model(int8)
    flops = 2 * _count_onnx(model, "probe")
    session = ort.InferenceSession(model.SerializeToString(), session_options(threads),
                                   providers=["CPUExecutionProvider"])
    shape = (1, PROBE_CHANNELS, PROBE_SIZE, PROBE_SIZE)
    x = (np.full(shape, 131, np.uint8) if int8
         else np.random.default_rng(1).standard_normal(shape).astype(np.float32))
    feed = {"x": x}
    return _best_rate(lambda: session.run(None, feed), flops, seconds) / 1e9


def probe_numpy_gflops(seconds: float = 0.5, n: int = 512) -> float:
    """numpy float32 matrix product (``n`` x ``n``) GFLOP/s, for reference: it runs on numpy's
    BLAS with that library's own thread count, not onnxruntime's."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    return _best_rate(lambda: a @ b, 2.0 * n**3, seconds) / 1e9


# --- the floor -------------------------------------------------------------------------------


def floor_ms(flops: float, gflops: float) -> float:
    """The compute-bound floor: ms per inference of ``flops`` at ``gflops`` GFLOP/s."""
    if not (gflops > 0 and math.isfinite(gflops)) or flops < 0:
        raise ValueError(f"need flops >= 0 and a positive finite GFLOP/s, got {flops}, {gflops}")
    return flops / (gflops * 1e9) * 1e3


def floor_multiple(inference_ms: float, flops: float, gflops: float) -> float:
    """Measured inference time as a multiple of the floor (1.0 = at the CPU's peak)."""
    floor = floor_ms(flops, gflops)
    return inference_ms / floor if floor > 0 else math.inf


def measure_inference_ms(path: Path, threads: int = 2, runs: int = 50, warmup: int = 5,
                         input_shape: tuple[int, ...] | None = None) -> float:
    """Median ms of the product's onnxruntime session (:class:`OnnxModel`) on a zero input."""
    from edge.detectors.onnx_model import OnnxModel

    model = OnnxModel(path, threads)
    shape = input_shape or model.input_shape
    if any(not isinstance(d, int) for d in shape):
        raise EdgeError(f"model file {path} has dynamic input dims {shape}; give an input shape")
    x = np.zeros(shape, np.float32)
    for _ in range(warmup):
        model.run(x)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.run(x)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """This CPU's sustained throughput: the best of ``count`` probes of ``seconds`` each."""

    threads: int
    seconds: float
    fp32_gflops: float
    int8_gops: float
    numpy_gflops: float
    fp32_lowest: float  # the lowest fp32 probe merged in: far below the best = a busy machine
    count: int = 1

    def for_cost(self, cost: ModelCost) -> float:
        """The probe that matches the model's arithmetic: int8 models against the int8 probe."""
        return self.int8_gops if cost.int8 else self.fp32_gflops

    def merge(self, other: Probe) -> Probe:
        """The best of both: the peak is the highest throughput seen; a lower probe lost time to
        other work on the machine."""
        return replace(self, fp32_gflops=max(self.fp32_gflops, other.fp32_gflops),
                       int8_gops=max(self.int8_gops, other.int8_gops),
                       numpy_gflops=max(self.numpy_gflops, other.numpy_gflops),
                       fp32_lowest=min(self.fp32_lowest, other.fp32_lowest),
                       count=self.count + other.count)


def run_probe(threads: int = 2, seconds: float = 1.0) -> Probe:
    fp32 = probe_gflops(seconds, threads)
    return Probe(threads, seconds, fp32, probe_gflops(seconds, threads, int8=True),
                 probe_numpy_gflops(seconds / 2), fp32_lowest=fp32)


@dataclass(frozen=True)
class ReferenceRow:
    name: str
    cost: ModelCost
    probe_gflops: float
    floor_ms: float
    inference_ms: float | None = None
    multiple: float | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "cost": self.cost.to_dict()}


def reference_row(name: str, path: Path, probe: Probe,
                  inference_ms: float | None = None) -> ReferenceRow:
    """One model's floor at ``probe``, and its multiple when its inference time is given."""
    cost = model_flops(path)
    gflops = probe.for_cost(cost)
    floor = floor_ms(cost.flops, gflops)
    multiple = None if inference_ms is None else floor_multiple(inference_ms, cost.flops, gflops)
    return ReferenceRow(name, cost, gflops, floor, inference_ms, multiple)


def measure_models(models: list[tuple[str, Path]], probe: Probe, runs: int = 50
                   ) -> tuple[list[float], Probe]:
    """Each model's median inference ms, each right after a short probe merged into ``probe``:
    the floor then comes from the best throughput seen during the whole measurement."""
    times = []
    for name, path in models:
        print(f"{name} ...", file=sys.stderr)
        probe = probe.merge(run_probe(probe.threads, probe.seconds / 4))
        times.append(measure_inference_ms(path, probe.threads, runs,
                                          input_shape=model_flops(path).input_shape))
    return times, probe


BUSY_RATIO = 0.8  # a probe this far below the best one means something else used the CPU
HEADERS = ["model", "input", "arith", "params M", "GFLOPs/frame", "file MiB", "counter",
           "probe GFLOP/s", "floor ms", "inference ms", "x floor"]


def markdown(rows: list[ReferenceRow], probe: Probe, info: dict) -> str:
    body = [[r.name, "x".join(map(str, r.cost.input_shape[-2:])),
             "int8" if r.cost.int8 else "fp32", r.cost.params / 1e6, r.cost.flops / 1e9,
             r.cost.file_bytes / 2**20, r.cost.counter, r.probe_gflops, r.floor_ms,
             r.inference_ms, r.multiple] for r in rows]
    busy = []
    if probe.fp32_lowest < BUSY_RATIO * probe.fp32_gflops:
        busy = ["", f"**Busy machine**: the fp32 probes ranged {probe.fp32_lowest:.1f} to "
                    f"{probe.fp32_gflops:.1f} GFLOP/s; inference times (and multiples) measured "
                    "while other work ran are inflated."]
    return "\n".join([
        machine_line(info),
        "",
        f"Probe (onnxruntime, {probe.threads} intra-op threads, 3x3 conv "
        f"{PROBE_CHANNELS}->{PROBE_CHANNELS} channels at {PROBE_SIZE}x{PROBE_SIZE}, best of "
        f"{probe.count} probe(s) of 5 windows each): fp32 **{probe.fp32_gflops:.1f} GFLOP/s**, "
        f"int8 (ConvInteger u8) **{probe.int8_gops:.1f} GOP/s**; numpy sgemm 512 "
        f"{probe.numpy_gflops:.1f} GFLOP/s (numpy's BLAS threads, for reference).",
        *busy,
        "",
        markdown_table(HEADERS, body),
        "",
        "GFLOPs = 2 x MACs of Conv/ConvTranspose/MatMul/Gemm and their integer forms (bias add = "
        "1 MAC; activations, adds, resizes, pooling not counted). floor = FLOPs / probe: the time "
        "at this CPU's peak dense-conv throughput (int8 models against the int8 probe). "
        "inference = median of onnxruntime `session.run` on a zero input (`--measure`); "
        "x floor = inference / floor.",
    ])


def _models(names: list[str]) -> list[tuple[str, Path]]:
    from edge.assets import find_model, resolve_model
    from edge.manifest import load_manifest

    manifest = load_manifest()
    if not names:
        found = [(m.name, find_model(m)) for m in manifest.models]
        models = [(n, p) for n, p in found if p is not None]
        if not models:
            raise EdgeError("no model file of models/manifest.yaml found; set EDGE_ASSETS to a "
                            "folder holding them (or models/)")
        return models
    out = []
    for name in names:
        if name.endswith(".onnx") and Path(name).is_file():
            out.append((Path(name).stem, Path(name)))
        else:
            spec, path = resolve_model(name, manifest, download=False)
            out.append((spec.name, path))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.physics", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--model", nargs="+", default=[],
                    help="manifest names or .onnx paths (default: every manifest model found)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    ap.add_argument("--seconds", type=float, default=1.0, help="duration of each probe")
    ap.add_argument("--measure", action="store_true",
                    help="also time each model's session (zero input, median of --runs)")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--json", metavar="OUT")
    ap.add_argument("--markdown", metavar="OUT")
    args = ap.parse_args(argv)
    if args.threads < 1 or args.seconds <= 0 or args.runs < 1:
        raise EdgeError("--threads and --runs must be >= 1 and --seconds > 0")
    models = _models(split_names(args.model))
    info = machine_info()
    print(f"probing onnxruntime, {args.threads} threads ...", file=sys.stderr)
    probe = run_probe(args.threads, args.seconds)
    times: list[float | None] = [None] * len(models)
    if args.measure:
        measured, probe = measure_models(models, probe, args.runs)
        times = list(measured)
    rows = [reference_row(name, path, probe, ms) for (name, path), ms in zip(models, times,
                                                                             strict=True)]
    text = markdown(rows, probe, info)
    print(text)
    if args.markdown:
        write_text(args.markdown, text + "\n")
    if args.json:
        doc = {"machine": info, "probe": asdict(probe), "rows": [r.to_dict() for r in rows]}
        write_text(args.json, json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli("benchmarks.physics", main, None))
