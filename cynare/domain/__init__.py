"""Records and rules of the firm's ledgers: no I/O, standard library only (and pydantic for the extract)."""
