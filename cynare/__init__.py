"""Cynare Link: keeps a firm's practice-management system and its Xero organisations in step."""

__version__ = "0.1.0"
