#!/usr/bin/env bash
# Kafka ACLs of the hub: least privilege per stage and per agency.
# Topic names, the stages' transactional ids and stage 2's group carry the hub's prefix
# (HUB_TOPIC_PREFIX, default "mhub."; hub/intake/stage.py, hub/publish/stage.py);
# consumer groups of an agency are prefixed with its user name ("mvd." ...).
# Checked against a running cluster by tests/integration/kafka.
set -euo pipefail
KAFKA=${KAFKA_HOME:-/opt/kafka}
P=${HUB_TOPIC_PREFIX:-mhub.}
acl() {
  "$KAFKA/bin/kafka-acls.sh" --bootstrap-server kafka-1.hub.internal:9092 \
    --command-config /etc/kafka/admin-client.properties --add "$@"
}

# Stage 1 (one transactional producer per source): writes intake, DLQ, identity notices
# (merges found at intake) and source positions.
for t in intake dlq identity connector-state; do
  acl --allow-principal User:mhub-stage1 --operation Write --operation Describe --topic "${P}$t"
done
acl --allow-principal User:mhub-stage1 --operation Read --topic "${P}connector-state"
# Reading the positions back (hub/kafka/reading.py: assigned partitions, nothing committed)
# names this group, and librdkafka still asks the broker for its coordinator.
acl --allow-principal User:mhub-stage1 --operation Read --group "${P}reader"
acl --allow-principal User:mhub-stage1 --operation Write --operation Describe \
  --transactional-id "${P}stage1-" --resource-pattern-type prefixed

# Stage 2 (consume-transform-produce per intake partition).
acl --allow-principal User:mhub-stage2 --operation Read --topic "${P}intake"
acl --allow-principal User:mhub-stage2 --operation Read --group "${P}stage2"
for t in events. identity corroborations batches dedup-index; do
  acl --allow-principal User:mhub-stage2 --operation Write --operation Describe \
    --topic "${P}$t" --resource-pattern-type prefixed
done
acl --allow-principal User:mhub-stage2 --operation Read --topic "${P}dedup-index"
acl --allow-principal User:mhub-stage2 --operation Read --topic "${P}batches"
acl --allow-principal User:mhub-stage2 --operation Write --operation Describe \
  --transactional-id "${P}stage2-" --resource-pattern-type prefixed

# Partner gateway: reads the event families it forwards to CIS partners, and the batches.
for t in events. batches; do
  acl --allow-principal User:mhub-gateway --operation Read --operation Describe \
    --topic "${P}$t" --resource-pattern-type prefixed
done
acl --allow-principal User:mhub-gateway --operation Read --group mhub-gateway \
  --resource-pattern-type prefixed

# Reports DAG: the statistics consumer (hub/statistics/consumer.py) reads the families it
# counts through the agency consumer library, so what an agency's consumer needs (below):
# the families, identity merges, corroborations, the batch manifests; its group is the
# hub's "${P}statistics".
for t in events.residence events.labour events.asylum events.enforcement events.statistics \
    identity corroborations batches; do
  acl --allow-principal User:mhub-reports --operation Read --operation Describe --topic "${P}$t"
done
acl --allow-principal User:mhub-reports --operation Read --group "${P}statistics"

# Statistics bureau feed (hub/deliver/bureau_feed.py, DAG hub_bureau_feed): consume-transform-
# produce, exactly once, from the person-level families to the pseudonymised feed; its group
# and transactional id are the feed topic's name. It writes nothing else.
for f in border residence labour asylum enforcement; do
  acl --allow-principal User:mhub-feed --operation Read --operation Describe --topic "${P}events.$f"
done
acl --allow-principal User:mhub-feed --operation Read --group "${P}statistics-feed"
acl --allow-principal User:mhub-feed --operation Write --operation Describe \
  --topic "${P}statistics-feed"
acl --allow-principal User:mhub-feed --operation Write --operation Describe \
  --transactional-id "${P}statistics-feed"

# Agencies: each reads the families it is entitled to (law on the exchange of
# migration data) through the hub's consumer library (hub/deliver/consumer), which also
# reads the signed batch manifests (to verify what it receives), identity merges (to
# resolve person ids) and corroborations (signed cross-agency duplicates; event ids,
# sources and person ids, no record content). It reads with read_committed (no
# transactional id needed); its consumer group must start with the user name and a dot
# (EventConsumer(..., group="mvd.border"); `mhub tail --group mvd.tail`).
entitled() {  # user family...
  local user=$1; shift
  for f in "$@"; do
    acl --allow-principal "User:$user" --operation Read --operation Describe --topic "${P}events.$f"
  done
  for t in batches identity corroborations; do
    acl --allow-principal "User:$user" --operation Read --operation Describe --topic "${P}$t"
  done
  acl --allow-principal "User:$user" --operation Read --group "$user." --resource-pattern-type prefixed
}
entitled mvd   border residence enforcement asylum     # interior ministry
entitled enbek labour residence                          # labour ministry

# Statistics bureau: its pseudonymised feed only (docs/statistics-feed.md). Not the
# statistics events: those are the bureau's own SDMX observations coming back, and they
# are signed XML read through the consumer library, which would also need the identity
# topic (every person id merged); the feed is what it is entitled to.
acl --allow-principal User:stat --operation Read --operation Describe --topic "${P}statistics-feed"
acl --allow-principal User:stat --operation Read --group stat. --resource-pattern-type prefixed
