"""tracuu crawler: fetch, discover, extract, keep state; feeds indexer.store."""
