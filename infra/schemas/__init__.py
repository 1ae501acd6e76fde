"""Builders of the contract's reference examples in ``hub/schemas/examples/`` (development only)."""
