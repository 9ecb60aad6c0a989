"""The import path indexes written before indexer.whoosh_seam name their codec by (pickled)."""

from indexer.whoosh_seam.codec import InliningCodec, InliningPostingsWriter

__all__ = ["InliningCodec", "InliningPostingsWriter"]
