"""Tiny shared helpers (time, ids, hashing); no domain logic."""
