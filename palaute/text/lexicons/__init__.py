"""Hand-written lexicons (see the header of each file) and the AFINN lists with their licence."""
