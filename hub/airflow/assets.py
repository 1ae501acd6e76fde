"""The hub's Airflow Assets: what stage 1 and stage 2 produce, named in one place.

A source's intake commit updates :data:`INTAKE` (which schedules the publish
DAG); a publish run updates the Asset of every event family it published to,
through :data:`PUBLISHED` (an alias, because which families a run touches is
known only at run time); the reports DAG runs when any family changes, the bureau
feed DAG when a family about persons does.

This module imports ``airflow.sdk``: only DAG files import it.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetAlias

from hub.model.families import EVENT_FAMILIES, PERSON_FAMILIES

# URIs name the logical topic (prefix-free): the same DAGs serve any cluster.
INTAKE_URI = "kafka://mhub/intake"
ASSET_GROUP = "mhub"

INTAKE = Asset(INTAKE_URI, group=ASSET_GROUP)
EVENTS: dict[str, Asset] = {
    family: Asset(f"kafka://mhub/events.{family}", group=ASSET_GROUP) for family in EVENT_FAMILIES
}
#: the families of the statistics bureau's feed (events about a person): schedule hub_bureau_feed
PERSON_EVENTS: dict[str, Asset] = {family: EVENTS[family] for family in PERSON_FAMILIES}
#: a publish run adds one event per family it actually published to
PUBLISHED = AssetAlias("mhub-published-families", group=ASSET_GROUP)
