"""Workers only deliver: they claim due jobs from the store and hand each to its next hop."""
