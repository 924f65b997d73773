"""Stage 4, the notebook steps: the only code that reads or writes ``data/processed/``."""
