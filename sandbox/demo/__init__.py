"""``make demo``: a walk through the platform on the embedded defaults."""
