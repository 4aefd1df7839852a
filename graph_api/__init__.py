"""The Graph API client's plumbing; `whatsapp_service.py` (a root file of the design card) is its facade.

`transports`: the httpx transports under pywa's client (one connection per thread, and the
redirect of every request to a test or proxy base URL) and `GraphClient`, httpx's client
with each endpoint's URL merged once. `errors`: which failures are
retryable (`classify_error` and the code table).

A leaf, like its facade: imports no project module, so everything may import it.
"""
