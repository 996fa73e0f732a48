"""wgll-review: the library behind the review flows (no Prefect here)."""

__version__ = "0.1.0"
