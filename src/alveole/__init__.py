"""Alvéole: skill-sharing workshops for a neighbourhood (composition root)."""
