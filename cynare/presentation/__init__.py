"""What people read: the reports and pages Cynare Link renders from the domain."""
