"""Use cases: each takes its ports (warehouse, inbox, Xero gateway, mailer) as arguments."""
