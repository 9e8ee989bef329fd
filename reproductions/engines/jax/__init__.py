"""The generic engines' building blocks in JAX (with optax)."""
