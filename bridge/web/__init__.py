"""The bridge's HTTP side: the server (health, webhooks), the admin page, and what every
webhook handler needs to read a request safely (``forms``)."""
