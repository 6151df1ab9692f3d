"""Signed webhooks: admins subscribe a URL to the register's and the reports' events; each
change writes its deliveries into an outbox (webhook_deliveries) in the change's own
transaction, and a worker sends them, signed, with retries, a dead-letter state and replay.

- models.py: the subscription and delivery tables.
- payloads.py: what each event's body says (and what personal data it may carry).
- outbox.py: the one call each change site makes; nothing is written when nobody listens.
- signing.py: the X-Doorstep-Signature header (HMAC-SHA256 over "<t>.<body>").
- delivery.py: claiming a due delivery (a lease), sending it, backoff and dead letters, replay.
- subscriptions.py: creating, changing and deleting subscriptions (the API's domain code).
- timer.py: the worker as a thread inside each server process; cli.py: `flask webhooks …`.
Plain modules: none of them imports Flask but timer.py and cli.py. See docs/webhooks.md.
"""
