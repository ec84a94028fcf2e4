"""The on-premises agent: reads the PMS, uploads daily extracts, applies write-backs."""
