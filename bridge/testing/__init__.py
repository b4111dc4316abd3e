"""Small fakes and real-server helpers shipped with the package and used by our own tests.

Each module here runs a real peer on loopback (an SMTP sink, Prism serving Twilio's contract)
rather than mocking our own code.
"""
