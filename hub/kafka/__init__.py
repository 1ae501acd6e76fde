"""Kafka at the edge: clients, topics, transactions, and the mapping of client errors."""
