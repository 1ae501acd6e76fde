"""Stage 1, per source: validate -> verify -> normalise -> intake.

One Kafka transaction per page holds its candidates, quarantined records and position.
"""
