"""Mail the bridge sends itself: failure notices (and, later, inbound texts as email)."""
