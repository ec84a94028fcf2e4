"""The on-premises agent: reads the PMS into extract batches, uploads them, applies write-backs."""
