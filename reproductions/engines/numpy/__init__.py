"""The generic engines' building blocks in NumPy: the reference, written out by hand."""
