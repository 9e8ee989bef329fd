"""Worked examples of textbooks, reproduced in NumPy, PyTorch, TensorFlow and JAX."""
