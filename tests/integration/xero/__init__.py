"""The Xero adapter (cynare.adapters.xero) against the local Xero emulator."""
