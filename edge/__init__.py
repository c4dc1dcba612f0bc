"""Edge video analytics: camera -> detector -> tracker -> analytics -> store -> API.

Only anonymised aggregates leave the process: no frame, crop, box, track id or
trajectory is ever stored or published.
"""

__version__ = "0.1.0"
