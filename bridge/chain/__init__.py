"""The outbound chain: every text, whatever made it, passes these rules in this order.

A text starts as an ``OutboundRequest`` (``request.py``). Each rule (one module each) looks at
the request and the facts it needs (``facts.py``: a customer's opt-out, a rate limit's wait,
read from the store or the limiter by the chain, never by the rule) and answers accept,
refuse (with the sentence the author reads), defer (until when, and why) or rewrite (what
changed). ``chain.py`` orders the rules and records which acted; ``gate.py`` is what the
edges call. Rules run at three stages: the envelope (who sends to whom, known at SMTP's
RCPT), the content (the text), and the send (just before a provider is asked).
"""
