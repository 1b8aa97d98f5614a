"""Training recipes per domain: what data, which network, which budget, how calibrated."""
