"""Stage 3, the model: pure functions of DataFrames and parameters (no files, no run context)."""
