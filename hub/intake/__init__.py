"""Stage 1, per source: from an agency page to one committed intake transaction.

A page a connector pulled is validated (``validate/``: XSD by namespace plus business
rules), partner records are verified (XMLDSig to the partner's pinned CA), valid records
are decoded and normalised, and the person each one is about is resolved (``identity/``);
each raw document is kept in ``raw_store`` by digest. One Kafka transaction per page then
holds the page's candidates, its quarantined records (to the DLQ, with their findings)
and the source's new position (``positions``); Airflow's tasks hand staged batches to
each other through ``staging``. Next: the candidates on the intake topic are read by
stage 2, ``hub.publish``.
"""
