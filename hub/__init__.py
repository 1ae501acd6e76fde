"""The Migration Exchange Hub: one record's path from an agency feed to a Kafka event.

The subpackages read in the order of the flow: ``intake`` (stage 1: validate, verify,
normalise, resolve the person, commit the page to the intake topic) -> ``publish``
(stage 2: dedup, render, batch-sign, publish the event) -> ``deliver`` (the agency
consumer library, the partner gateway). Beside the flow: ``model`` (the values that
travel along it), ``kafka`` (clients and topics), ``ops`` (Airflow glue, status,
reports), ``cli`` (``mhub``, also ``python -m hub``) and ``schemas`` (the XML contract,
package data). ``config`` is the one place that reads the environment.
"""
