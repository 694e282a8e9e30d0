"""Workshops, their sessions (single or RRULE), hosts, moderation and listing."""
