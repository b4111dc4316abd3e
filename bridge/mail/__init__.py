"""Mail the bridge sends itself: failure notices and customers' texts as email, and the
transports that hand them over (a Maildir, an SMTP smarthost, an IMAP folder, a route's
webhook)."""
