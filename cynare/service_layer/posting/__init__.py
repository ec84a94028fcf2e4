"""Posting an entity's ready documents to its own Xero organisation: `post_to_xero` in run.py.

sender.py carries each call out under the retry policy; ledger.py knows which documents are in
Xero and records outcomes; contacts.py matches clients to contacts Xero already has; the
per-dataset steps are in steps.py; lookup.py settles attempts whose outcome was unknown.
"""
