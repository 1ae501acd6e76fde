"""What leaves the hub: the agency consumer library and the partner gateway.

``consumer/`` is what an agency runs to read the event topics: it proves every event
(batch proof against the signed manifest), drops replays by event id and applies
corroborations and identity merges. ``gateway/`` feeds CIS partners' SOAP Get/Ack
queues over mutual TLS from the same topics, exactly once per event and partner, with
only the fields each partner may receive. This is the end of the record's path: after
here it belongs to the receiving agency or partner.
"""
