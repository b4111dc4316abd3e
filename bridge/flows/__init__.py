"""Dialogue flows: the pure engine (``engine``), how a text is matched (``matching``) and how
an answer is checked (``values``). No I/O: the inbound decision calls it with the stored
state and the time, and the store saves what it returns with the text's outcome."""
