"""The Airflow glue: what the DAG files in ``dags/`` call, and the local Airflow of development.

``tasks`` holds one thin function per task over the stages (a run's note, asset events,
owner notices on failure), ``assets`` names what the stages produce so Airflow schedules
stage 2 on stage 1, ``dag_defaults`` the hub DAGs' retries and timeouts, ``connections``
takes a source's endpoint and credentials from its Airflow Connection, ``notify`` tells a
source's owner, ``environment``, ``api`` and ``local`` set up, query and start Airflow. Only
this package and ``dags/`` import Airflow; the stages run without it.
"""
