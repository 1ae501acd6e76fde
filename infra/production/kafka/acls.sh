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

# Reports DAG: statistics events only.
acl --allow-principal User:mhub-reports --operation Read --operation Describe --topic "${P}events.statistics"

# Agencies: each reads the families it is entitled to (law on the exchange of
# migration data), plus the signed batch manifests to verify what it receives.
entitled() {  # user family...
  local user=$1; shift
  for f in "$@"; do
    acl --allow-principal "User:$user" --operation Read --operation Describe --topic "${P}events.$f"
  done
  acl --allow-principal "User:$user" --operation Read --operation Describe --topic "${P}batches"
  acl --allow-principal "User:$user" --operation Read --group "$user." --resource-pattern-type prefixed
}
entitled mvd   border residence enforcement asylum     # interior ministry
entitled enbek labour residence                          # labour ministry
entitled stat  statistics                                # statistics bureau (pseudonymised)
