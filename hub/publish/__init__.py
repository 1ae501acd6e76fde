"""Stage 2, per intake partition: dedup -> render -> batch-sign -> publish, exactly once."""
