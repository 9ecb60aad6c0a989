"""tracuu indexer: the document model, the Vietnamese text rules, the Whoosh schema and store."""
