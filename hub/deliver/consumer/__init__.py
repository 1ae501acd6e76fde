"""The consumer side: what agencies use to receive verified hub events."""

from hub.deliver.consumer.consumer import EventConsumer
from hub.deliver.consumer.model import Corroboration, HubEvent, IdentityMerge, Rejected

__all__ = ["Corroboration", "EventConsumer", "HubEvent", "IdentityMerge", "Rejected"]
