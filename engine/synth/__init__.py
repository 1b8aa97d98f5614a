"""Synthetic domains with exact masks and labels (no public data set is reachable here)."""
