"""Parking occupancy: spaces and lots, evidence, hysteresis, the analytic plug-in."""
