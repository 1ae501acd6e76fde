"""Run bookkeeping, below the stages that keep it: what each run did, and the hub's metrics.

``summary`` is a run's summary (pulled, valid, quarantined by rule, published, backlog),
saved as JSON under ``var/runs`` and shown as the DAG run's note; ``metrics`` the counters
and histograms the stages add to per page and batch (Prometheus text, ``mhub metrics``).
"""
