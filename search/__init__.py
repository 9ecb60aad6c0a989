"""tracuu search: query building, the engine, the HTTP app."""
