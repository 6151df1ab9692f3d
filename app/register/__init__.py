"""The register: entity lists (datasets) and their entities, served to phones as CSV lists."""
