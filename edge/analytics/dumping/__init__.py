"""Bulky-waste drop-off alerts: left objects in drop-off zones, raised and cleared."""
