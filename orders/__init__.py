"""Orders: the shop's order records and the conversation that answers "where is my order?".

Owns the order rules file (`rules`: rules/orders.yaml, statuses, carriers and their tracking
links, replies per language), order records and the orders CSV import (`records`), how an
order is put into words (`wording`), the chatbot's order conversation (`conversation`) and the
status notifications queued once per order and status (`notifications`).

May import: `database_models`, `campaigns`, `language`, `config` and `scheduler` (the queue).
Never `web`, `cli`, `outbound` or `runtime.context`.
"""
