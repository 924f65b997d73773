"""Stage 2, the feedback round: the form sent to each municipality and the answers read back."""
