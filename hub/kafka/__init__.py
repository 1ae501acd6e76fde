"""The hub's one Kafka seam: the only package that imports a Kafka client library.

Everything else reads, writes and commits through these modules and sees
:class:`~hub.kafka.message.Message` and :class:`~hub.errors.BrokerError`, never a
library's own types (``tests/unit/kafka/test_seam_imports.py`` checks it):

* ``clients``: configuration (TLS/SASL for both libraries) and the raw clients (tools, tests)
* ``errors``: the one translation point of both libraries' errors; ``retry_while_moving``
* ``message``: the library-neutral record every reader returns
* ``transactions``: ``TransactionalProducer``, the one transaction implementation (librdkafka)
* ``exactly_once``: consume-transform-produce on it: stage 2's ``IntakeReader`` and the
  ``GroupRelay`` of every consumer that writes back (the bureau feed)
* ``reading``: ``read_to_end``, a whole topic as it stands (positions, verify, the DLQ)
* ``readers``: kafka-python readers off the hot path (consumer library, gateway, stage 2's
  index catch-up and chain head)
* ``topics``: names, partitioning, retention, creation and the ACL check at start
* ``probe``: does the cluster answer; ``faults``: the crash tests' kill points

Which client serves which path is measured (bench/README.md): librdkafka on the hot path
(both stages' producers, stage 2's intake, positions, every transaction), kafka-python where
its ~40 µs per message does not matter.
"""
