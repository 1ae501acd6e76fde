"""The partner gateway: SMEV-3-style SOAP Get/Ack queues over mutual TLS.

``feed`` copies each event a partner may receive (``rules``: families, citizenships,
allowed fields) from the event topics into that partner's queue (``queue``, with the
Kafka offsets, so exactly once), as a hub-signed ``message``; ``server`` and ``soap``
serve Get/Ack/GetStatus under ``config`` (``gateway.toml``). The record's path ends
here, when the partner acknowledges the message.
"""
