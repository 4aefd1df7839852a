"""Operator accounts: who may log in to the dashboard, their role, their password (hashed), their logins.

`accounts.operators` creates, lists, disables, re-enables and resets operators and checks a
password; the CLI (`cli/users.py`) and the dashboard's users page (`web/dashboard/users_page.py`)
both call it. Like the other services it takes a Session, may flush, and never commits.

May import `database_models` only; never `web`, `cli` or `webhook_handler`.
"""
