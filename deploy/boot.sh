#!/bin/sh
# Container entry: bring the schema to head, then hand the process over to gunicorn.
set -e
alembic upgrade head
exec gunicorn -c gunicorn.conf.py "webhook_handler:create_app()"
