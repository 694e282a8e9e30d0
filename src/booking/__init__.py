"""Seats, payment holds, waitlists, cancellation, payments, attendance and feedback."""
