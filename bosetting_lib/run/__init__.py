"""Stage 6, running: the pipeline, validation, other counties, the whole country and the feedback round."""
