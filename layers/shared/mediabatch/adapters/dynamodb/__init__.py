"""dynamodb adapters."""
