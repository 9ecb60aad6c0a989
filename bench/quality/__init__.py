"""Search quality on vi-news: `python -m bench.quality [--docs 12000] [--split test|dev]`.

Indexes a deterministic sample of vi-news articles three times (tracuu through the real store and
engine; plain Whoosh with its default analyzer; tantivy's default tokenizer) and runs query sets
generated from the articles themselves:

- the original sets (bench.quality.queries): title fragments of 3–6 syllables as written, without
  diacritics, in NFD, with the tone mark moved, with an abbreviation swapped; document numbers as
  written and folded. Scored by MRR@10 and recall@10 per type.
- the short sets (bench.quality.short, relevance rule in bench.quality.relevance): words of 1–3
  syllables with and without diacritics, abbreviations, partial document numbers. Scored by
  precision@10 (relevant hits in the top 10 over min(10, |relevant|)), first hit right and MRR@10.

The sample: every article holding a document number (there are few, and staff search for them),
then the others in sha1(id) order, up to --docs. Every set is generated with a fixed seed, split
into dev (for tuning) and test (reported), and kept in bench/queries/ so that every run scores the
same queries. The relevance judgements use the bench's own text rules (bench.quality.text), not
tracuu's, so a tokenizer bug shows up as a miss.

Modules: text (text rules), corpus (reading, sampling), queries (original sets), short and
relevance (short sets), metrics, systems, tuning (`--tune`), report (tables), probe (`--probe`),
cli (`main`).
"""
