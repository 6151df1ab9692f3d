"""The JSON REST API, shaped like ODK Central's so ODK tooling (pyodk) can read it."""
