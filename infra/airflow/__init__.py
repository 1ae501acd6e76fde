"""The local Airflow of ``make run`` (development only; not in the installed package)."""
