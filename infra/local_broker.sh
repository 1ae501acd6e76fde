# Sourced by the test scripts (infra/test.sh, infra/test_production_shape.sh): start the local
# Kafka broker unless one answers or KAFKA_BOOTSTRAP_SERVERS names a cluster, and stop it
# again on exit (tests failing included) when this script started it.
started=0
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  if ! .venv/bin/python -m infra.kafka.broker status | grep -q ': up'; then
    .venv/bin/python -m infra.kafka.broker start || exit 1
    started=1
  fi
fi
stop_broker() { [ "$started" = 1 ] && .venv/bin/python -m infra.kafka.broker stop; }
trap stop_broker EXIT
