"""Synthetic bulky-waste dumping clips with exact ground truth, and their scorer.

There is no real dumping footage, so procedural objects (:mod:`.objects`: box, bag, mattress,
sofa) are composited into the real sample clips (:mod:`.compose`: exposure, occlusion by people
and cars, camera drift) at known frames. :mod:`.scenarios` is the fixed set of clips,
:mod:`.generate` writes them and their JSON ground truth into the cache
(``python -m benchmarks.dumping.generate``), :mod:`.score` scores alerts against it.
"""
