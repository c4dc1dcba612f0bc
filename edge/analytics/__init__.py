"""Analytics plug-ins: each turns a frame's tracks (and, where needed, its pixels) into events."""
