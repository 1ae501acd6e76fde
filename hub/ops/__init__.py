"""Operating the hub: Airflow glue, run summaries, status, reports, notifications.

``tasks`` is what the DAG files' tasks call (one thin function per task over the stages),
``assets`` names what the stages produce so Airflow can schedule stage 2 on stage 1,
``airflow_env`` and ``airflow_api`` set up and query Airflow, ``run_summary`` records
what each run did, and ``status``, ``reports`` and ``notify`` turn that into a table,
charts and messages to a source's owner. The record does not pass through here: this
package watches its path and runs the stages on schedule.
"""
