"""Worked examples of textbooks, reproduced in NumPy, PyTorch and TensorFlow."""
