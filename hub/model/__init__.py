"""Values that travel along the record's path: record types, findings and event families.

``record_types`` is the one table of record types (family, fact and its key fields,
the time it happened, whether it is about a person); ``families`` the event families
(one topic each, and the agencies that may read it); ``findings`` holds the frozen
:class:`Finding` a stage attaches to a record it rejects (rule id, XPath, message,
source record id), which goes with the record to the DLQ. Every stage reads these
values; the package runs no stage itself and imports none, so a record never "goes
next" from here: it is the vocabulary ``intake``, ``publish`` and ``deliver`` share.
"""
