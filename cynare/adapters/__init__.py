"""One adapter per outside system: Azure Tables, Blob Storage, queues, Xero, Graph, Teams."""
