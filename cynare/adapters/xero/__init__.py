"""Xero: one entity's organisation over HTTP (http.py), its OAuth tokens (auth.py), pacing and exact JSON."""
