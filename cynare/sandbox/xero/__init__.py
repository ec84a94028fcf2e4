"""A local, stateful, multi-tenant emulator of Xero's identity service and Accounting API.

`cynare.sandbox.xero.emulator.Emulator` holds the books of several organisations and serves them over
loopback HTTP so that the official xero-python SDK talks to it unchanged; see docs/xero-emulator.md.
"""
