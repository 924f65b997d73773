"""Stage 0, configuration: where files live and the year's validated parameters."""
