"""Analytics' parts; `analytics_service.py` (a root file of the design card) is their facade.

`scope`: what a report counts and over which interval (the local-date window, the UTC
offsets SQLite needs, live inbound traffic, the report error). `funnels`: each campaign's
delivery funnel and its failures by error code.

May import `database_models` only: reports read stored rows and run no service.
"""
