"""Leaders' side: the ledger export (and, later, the dashboard pages)."""
