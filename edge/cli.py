"""Command line: ``edge run``, ``edge analyze``, ``edge models``.

Every user error is one line on stderr and exit code 2; ``EDGE_DEBUG=1`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from edge.errors import EdgeError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edge",
                                description="Privacy-first video analytics at the edge.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the service: cameras, analytics, store and API")
    run.add_argument("config", help="site config (YAML), e.g. zones/demo-site.yaml")
    run.add_argument("--host", help="override api.host")
    run.add_argument("--port", type=int, help="override api.port")
    run.add_argument("--store", help="override store.path (SQLite file)")

    an = sub.add_parser("analyze", help="analyse a video file (or a still image) as fast as "
                                         "possible")
    an.add_argument("video", help="a video file, or an image (.jpg .jpeg .png .bmp .webp)")
    an.add_argument("--line", action="append", default=[], metavar="ID:x1,y1,x2,y2",
                    help="a counting line (repeatable); in = anchor goes from s<0 to s>0")
    an.add_argument("--zones", help="zones file (YAML) with lines, masks and parking lots")
    an.add_argument("--spaces", action="append", default=[], metavar="FILE",
                    help="parking spaces from a PKLot .xml or .json file, as one lot named after "
                         "the file (repeatable; adds to the lots of --zones)")
    an.add_argument("--still-seconds", type=float, default=3.0, metavar="N",
                    help="an image is analysed as a static clip of N seconds (default 3) at the "
                         "parking analysis rate")
    an.add_argument("--dropoff", action="append", default=[], metavar="ID:x1,y1,x2,y2,x3,y3,...",
                    help="a drop-off zone watched for bulky waste (repeatable; adds to the "
                         "zones of --zones)")
    an.add_argument("--dwell", type=float, metavar="SECONDS",
                    help="seconds an object must stay in a --dropoff zone before an alert "
                         "(default 60)")
    an.add_argument("--model", help="manifest name, path to an .onnx file, or 'motion'")
    an.add_argument("--threads", type=int, help="CPU threads of the detector (default 2)")
    an.add_argument("--parallel", choices=("frames", "operators"),
                    help="frames (default): one single-threaded inference per thread, each on its "
                         "own frame; operators: all threads on each frame")
    an.add_argument("--json", dest="json_out", metavar="OUT", help="write the result here")

    bench = sub.add_parser("bench", help="benchmark models x clips x settings against ground "
                                          "truth (needs the `bench` extra)")
    try:
        from benchmarks.bench import parser as bench_parser
        bench_parser(bench)
    except ImportError as exc:  # the runtime image has no benchmark dependencies
        bench.set_defaults(bench_missing=str(exc))

    from edge.cli_models import add_models_parser
    add_models_parser(sub)
    return p


def _run(args: argparse.Namespace) -> int:
    from edge.config import load_site
    from edge.service import install_term_handler, serve
    site = load_site(args.config)
    if args.store:
        site.store.path = args.store
    install_term_handler()
    return serve(site, host=args.host, port=args.port)


def _analyze(args: argparse.Namespace) -> int:
    from edge.analyze import analyze, build_camera
    if not (0 < args.still_seconds < float("inf")):
        raise EdgeError(f"--still-seconds must be a positive number of seconds, "
                        f"got {args.still_seconds:g}")
    if args.dwell is not None and not (1 <= args.dwell < float("inf")):
        raise EdgeError(f"--dwell must be at least 1 second, got {args.dwell:g}")
    cam = build_camera(args.video, args.line, args.zones, args.model, args.threads, args.spaces,
                       args.dropoff, args.dwell, args.parallel)
    result = analyze(cam, still_seconds=args.still_seconds)
    text = json.dumps(result, indent=2)
    if args.json_out:
        try:
            Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json_out).write_text(text + "\n")
        except OSError as exc:
            raise EdgeError(f"cannot write {args.json_out}: {exc.strerror}") from None
    print(text)
    return 0


def _bench(args: argparse.Namespace) -> int:
    if getattr(args, "bench_missing", None):
        raise EdgeError(f"edge bench needs the benchmark extras ({args.bench_missing}): "
                        "pip install -e '.[bench]' or `make bench`")
    from benchmarks.bench import main_args
    return main_args(args)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = os.environ.get("EDGE_LOG", "INFO" if args.command == "run" else "WARNING")
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers = {"run": _run, "analyze": _analyze, "bench": _bench}
    try:
        if args.command == "models":
            from edge.cli_models import run_models
            return run_models(args)
        return handlers[args.command](args)
    except EdgeError as exc:
        if os.environ.get("EDGE_DEBUG"):
            raise
        print(f"edge: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
