"""The daily reconciliation: the PMS debtors ledger against each entity's Xero, reported by email and Teams."""
