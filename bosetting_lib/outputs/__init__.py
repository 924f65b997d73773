"""Stage 5, outputs: report sections, figures, workbooks and export; presentation only, never recomputes."""
