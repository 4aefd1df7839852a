"""The outbound queue's internals; `scheduler.py` (a root file of the design card) is their facade.

`status_moves`: the table of allowed status moves and the statements that apply it.
`claims`: the statements behind claims, leases and recorded sends (`SentRecord`).
`inserts`: the bulk inserts of replies and campaign rows, and `QueueError`.

May import `database_models` only: the queue sits below everything that fills or drains it.
"""
