"""Stage 1, sources: raw files in, tidy tables on the analysed year's municipality structure out."""
