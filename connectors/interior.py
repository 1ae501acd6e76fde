"""The interior ministry (migration police, border service): HTTPS REST, XML pages.

Mutual TLS in production: give ``TransportConfig(ca_bundle=..., client_cert=...,
client_key=...)`` (source options ``http_ca_bundle``, ``http_client_cert``,
``http_client_key``); plain ``http://`` is accepted for the local simulator.
"""

from __future__ import annotations

from connectors.rest import RestPageConnector


class InteriorConnector(RestPageConnector):
    family = "interior"
    path = "/records"
