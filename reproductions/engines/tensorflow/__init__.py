"""The generic engines' building blocks in TensorFlow (Keras 3)."""
