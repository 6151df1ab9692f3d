"""Validation tests reuse the API's bearer-session helper."""
