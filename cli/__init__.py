"""CLI: the `flask --app webhook_handler …` commands, one module per command group.

`commands.register(app)` adds every group; `broadcast`, `analytics`, `ops`, `orders`, `users` hold theirs.

May import every service, `campaigns`, `language`, `orders`, `accounts`, `inbound.sample_payloads` and `runtime`.
Never `webhook_handler` (the app passes itself in) and never `web`.
"""
