"""The consumer side: what agencies use to receive verified hub events.

:class:`EventConsumer` reads the event topics with ``read_committed``, proves every event
before anything reads it (``proofs``), keeps its durable memory in one SQLite file
(``state``) and yields typed values (``model``). The record's path ends here, in the
agency's own system.
"""

from hub.deliver.consumer.consumer import EventConsumer
from hub.deliver.consumer.model import Corroboration, HubEvent, IdentityMerge, Rejected

__all__ = ["Corroboration", "EventConsumer", "HubEvent", "IdentityMerge", "Rejected"]
