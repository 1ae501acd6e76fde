#!/usr/bin/env bash
# The person registry's role and database (HUB_REGISTRY_URL), beside Airflow's metadata DB.
# Run once by the postgres image on its first start (docker-entrypoint-initdb.d, as
# POSTGRES_USER); the password comes from the environment, never from this file.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:?}" --dbname "${POSTGRES_DB:-postgres}" \
  -v password="${HUB_REGISTRY_PASSWORD:?set HUB_REGISTRY_PASSWORD}" <<'SQL'
CREATE ROLE mhub LOGIN PASSWORD :'password';
CREATE DATABASE mhub_registry OWNER mhub;
SQL
