"""The routing table for inbound texts: pure functions of the text and the time."""
