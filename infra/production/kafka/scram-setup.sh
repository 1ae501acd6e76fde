#!/usr/bin/env bash
# SCRAM users of the hub's cluster. Run once, before the first start of each node:
#   1. format storage with the bootstrap users (broker, admin) on every node;
#   2. when the cluster is up, add one user per client (hub stages, gateway, agencies).
# Passwords are read from $SECRETS/<user>.properties (a line password=...), never typed here.
set -euo pipefail
KAFKA=${KAFKA_HOME:-/opt/kafka}
SECRETS=${SECRETS:-/etc/kafka/secrets/users}
NODE_CONFIG=${1:?usage: scram-setup.sh broker-N.properties [add-users]}
pw() { sed -n "s/^password=//p" "$SECRETS/$1.properties"; }

if [ "${2:-}" != "add-users" ]; then
  # Same cluster id on all three nodes: generate once (kafka-storage.sh random-uuid), keep it.
  CLUSTER_ID=${CLUSTER_ID:?set CLUSTER_ID to the cluster id shared by all nodes}
  "$KAFKA/bin/kafka-storage.sh" format --config "$NODE_CONFIG" --cluster-id "$CLUSTER_ID" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=$(pw broker)]" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$(pw admin)]"
  exit 0
fi

# Clients: the hub's two stages, gateway, reports and bureau feed, and one user per agency
# (see acls.sh).
for user in mhub-stage1 mhub-stage2 mhub-gateway mhub-reports mhub-feed mvd enbek stat; do
  "$KAFKA/bin/kafka-configs.sh" --bootstrap-server kafka-1.hub.internal:9092 \
    --command-config /etc/kafka/admin-client.properties \
    --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(pw "$user")]"
done
