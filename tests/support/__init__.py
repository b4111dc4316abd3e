"""Fakes, emulators and real-server harnesses used only by the tests and the benchmarks.

Each module here runs a real peer on loopback (an SMTP sink, a Dovecot, Prism serving Twilio's
contract, emulators of the other providers' APIs) or drives the bridge as a subprocess, rather
than mocking the bridge's own code. Nothing here ships in the wheel.
"""
