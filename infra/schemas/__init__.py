"""Builders of the contract's reference examples in ``schemas/examples/`` (development only)."""
