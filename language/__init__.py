"""Language: Persian and English text processing, shared by the chatbot and analytics.

Owns normalisation and tokens (`nlp`, with `finglish` for Latin-script Persian), intents
(`intent_rules`, matched by `intent_matcher` and `intent_model`, reading a message's clauses
with `message_clauses`, explicit stop requests by `opt_out_request` and clear
requests for the shop's messages by `opt_in_request`, classified once per distinct
normalised wording by `intent_cache`),
loading the operators' rules file (`rules_loader`), evaluation on
labelled sets (`intent_evaluation`), Persian digits and the Jalali calendar (`jalali`),
sentiment (`sentiment`, its lexicon file read by `sentiment_lexicon`, cues of word and clause
shapes in `sentiment_patterns`, graded by `sentiment_evaluation`), the reply's tone from it
(`reply_tone`: apologetic variants, when to offer a person), the values a reply is rendered with
in the customer's language (`reply_text`: the name, opening hours, order sums) and storing those
results once per message (`enrichment`).

May import: `database_models`, `config`, `inbound.shapes` (only for the event names the rules
file answers) and each other. Never `outbound`, `web`, `cli` or `runtime.context`.
"""
