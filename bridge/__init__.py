"""smsbridge: staff text customers from their mail client; customers' replies come back as mail."""

__version__ = "0.1.0"
