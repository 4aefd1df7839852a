#!/bin/sh
# Container entry: bring the schema to head, then hand the process over to gunicorn.
# gunicorn.conf.py gives it a control socket of its own (/app/instance/gunicorn.ctl, or
# GUNICORN_CONTROL_SOCKET), never the per-user default that every gunicorn would share.
set -e
alembic upgrade head
exec gunicorn -c gunicorn.conf.py "webhook_handler:create_app()"
