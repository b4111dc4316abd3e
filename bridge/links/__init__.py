"""Short links and QR codes: pure code (finding and rewriting URLs, making codes, telling a
person's click from a link preview's fetch, drawing QR codes); no I/O but what callers pass."""
