"""The Graph API client's plumbing; `whatsapp_service.py` (a root file of the design card) is its facade.

`transports`: the httpx transports under pywa's client (one connection per thread, and the
redirect of every request to a test or proxy base URL) and `GraphClient`, httpx's client
with each endpoint's URL merged once. `errors`: which failures are
retryable (`classify_error` and the code table), and `GraphApiError` for a failed read.
`results`: `SendResult`. `dry_run`: the sender used without a token. `media`: Meta's media
limits and the JSON of media messages and template components the facade builds itself.

A leaf, like its facade: imports no project module, so everything may import it.
"""
