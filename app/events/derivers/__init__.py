"""One module per town form, each registering its deriver (app.events.derive.deriver).
Importing this package registers them all."""
