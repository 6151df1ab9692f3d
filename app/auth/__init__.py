"""Who is asking: web users, app users (field keys), sessions, Basic/Digest/token auth, scope."""
