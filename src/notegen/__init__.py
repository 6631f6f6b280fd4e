"""notegen: draft Dendron daily paper notes from arXiv IDs or local PDFs."""

__version__ = "0.1.0"
