"""Outbox, delivery worker, mailers, email templates, iCalendar and reminders."""
