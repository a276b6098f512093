"""One router per resource of the public API (DESIGN.md, Public HTTP API)."""
