"""The generic engines' building blocks in PyTorch."""
