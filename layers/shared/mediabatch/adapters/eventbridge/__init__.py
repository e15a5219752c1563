"""eventbridge adapters."""
