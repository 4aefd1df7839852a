"""Language: Persian and English text processing, shared by the chatbot and analytics.

Owns normalisation and tokens (`nlp`), intent matching and replies (`intent_rules`),
loading the operators' rules file (`rules_loader`), evaluation on labelled sets
(`intent_evaluation`), sentiment (`sentiment`) and storing those results once per message
(`enrichment`).

May import: `database_models`, `config` and each other. Never `inbound`, `outbound`, `web`,
`cli` or `runtime.context`.
"""
