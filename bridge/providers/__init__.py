"""SMS providers: one package per provider (its API client, its webhooks, its signatures and
its settings), each described by one entry in ``registry.py``; what they share is here."""
