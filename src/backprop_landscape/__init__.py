"""Reproduce, check and extend Sontag's remarks on backpropagation (local minima, log rule)."""

__version__ = "0.1.0"
