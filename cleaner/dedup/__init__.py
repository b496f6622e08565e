"""Near-duplicate detection: documents and passages, MinHash + LSH, first occurrence kept."""
