"""Parking on a camera the space model never saw (issue 12), real detector, real PKLot frames.

Leave one camera out: the space model is fitted (scikit-learn, bench extra) on the other
camera's frames only, written to a file, and the service's ParkingAnalytic reads it as
``parking.classifier``; each frame of the left-out camera is then analysed as a still, without
any empty image, and with the empty frame of another day of that camera as ``reference``. The
stream test runs the camera pipeline on a clip made of two real frames (the lot empty, then
full) with no reference image: the reference is learnt from the stream.
"""

from __future__ import annotations

import pytest

from benchmarks.parking_fit import analytic_for, labelled_frames, leave_out, model_file
from edge.detectors import OnnxDetectorSettings, build_detector
from edge.types import Frame, Tracks

pytestmark = pytest.mark.integration
pytest.importorskip("sklearn")
MODEL = "yolox_nano"
FULL = ["pklot-pucpr-2012-09-11", "pklot-ufpr04-2012-12-20"]   # with an empty frame of
EMPTY = ["pklot-pucpr-2012-10-12", "pklot-ufpr04-2012-12-28"]  # another day as reference


@pytest.fixture(scope="module")
def detector(assets):  # noqa: ANN001, ANN201
    return build_detector(OnnxDetectorSettings(model=MODEL, threads=1))


@pytest.fixture(scope="module")
def loco(assets, tmp_path_factory):  # noqa: ANN001, ANN201
    """camera -> the classifier file fitted without it."""
    folder = tmp_path_factory.mktemp("loco")
    cams = sorted({f.camera for f in labelled_frames()})
    assert len(cams) >= 2
    return {c: str(model_file(leave_out(c, MODEL), folder, c)) for c in cams}


def _accuracy(frame, detector, classifier: str, with_reference: bool) -> float:  # noqa: ANN001
    analytic, labels, image = analytic_for(frame, detector, with_reference=with_reference,
                                           classifier=classifier)
    analytic.update(Frame(image, 0, 0.0, 0.0), Tracks.empty())
    states = analytic.states()[frame.clip]
    labelled = {k: v for k, v in labels.items() if v is not None}
    right = sum(states[k] == ("occupied" if v else "free") for k, v in labelled.items())
    return right / len(labelled)


@pytest.mark.parametrize("clip", FULL + EMPTY)
def test_unseen_camera_without_an_empty_image(clip, detector, loco) -> None:  # noqa: ANN001
    frame = next(f for f in labelled_frames() if f.clip == clip)
    acc = _accuracy(frame, detector, loco[frame.camera], with_reference=False)
    print(f"{clip} LOCO still, no reference: {acc:.3f}")
    assert acc >= 0.90


@pytest.mark.parametrize("clip", FULL)
def test_unseen_camera_with_an_empty_frame_of_another_day(clip, detector, loco) -> None:  # noqa: ANN001
    frame = next(f for f in labelled_frames() if f.clip == clip)
    acc = _accuracy(frame, detector, loco[frame.camera], with_reference=True)
    print(f"{clip} LOCO still, reference of another day: {acc:.3f}")
    assert acc >= 0.97


@pytest.fixture(scope="module")
def stream(assets) -> dict:  # noqa: ANN001
    """The stream clip through the camera pipeline with the LOCO model (about 35 s)."""
    from benchmarks.parking_stream import run_stream

    r = run_stream("pucpr", MODEL, loco=True)
    print(f"stream (LOCO model): {r}")
    return r


def test_stream_learns_the_empty_state_then_reads_the_full_lot(stream) -> None:  # noqa: ANN001
    # A space is learnt only while the reference-free cues are sure it is free; by the end of
    # the empty part nine spaces in ten have a learnt reference, and it no longer grows on the
    # full part (measured: 94 at the switch and at the end, LOCO model; 98 with the shipped one).
    assert stream["learnt_at_switch"] >= 90
    assert stream["learnt_at_end"] <= stream["learnt_at_switch"] + 2
    assert stream["accuracy"] >= 0.95  # measured 0.980 (LOCO), 0.990 (shipped)


@pytest.mark.xfail(strict=True, reason=(
    "our own 95 % convergence target (the issue names none) is not met: with the LOCO model 94 of "
    "the 100 PUCPR spaces learn their empty "
    "state (6 empty spaces keep reference-free odds of 0.21-0.33, above the learner's 0.2 'surely "
    "free' bar); the shipped model learns 98"))
def test_stream_reference_converges_on_95_of_100_spaces(stream) -> None:  # noqa: ANN001
    assert stream["learnt_at_switch"] >= 95
