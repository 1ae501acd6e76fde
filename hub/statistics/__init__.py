"""Migration statistics from the hub's own person-level events.

``definitions`` says which event counts as what; ``store`` keeps one row per
event (a correction replaces its row); ``consumer`` fills the store from the
event topics; ``figures`` sums it for a period; ``reconcile`` sets the sums
beside the bureau's SDMX figures.
"""
