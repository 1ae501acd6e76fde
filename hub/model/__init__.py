"""Values that travel along the record's path: findings and event families.

``findings`` holds the frozen :class:`Finding` a stage attaches to a record it rejects
(rule id, XPath, message, source record id), which goes with the record to the DLQ;
``families`` routes each record type to its event family, hence to its event topic.
Every stage reads these values; the package runs no stage itself, so a record never
"goes next" from here: it is the vocabulary ``intake``, ``publish`` and ``deliver`` share.
"""
