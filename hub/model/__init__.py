"""Values that travel along the record's path: findings, records, candidates, event families."""
