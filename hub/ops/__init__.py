"""Operating the hub: Airflow glue, run summaries, status, reports, notifications."""
