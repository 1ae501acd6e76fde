"""What leaves the hub: the agency consumer library and the partner gateway."""
