"""The partner gateway: SMEV-3-style SOAP Get/Ack queues over mutual TLS."""
