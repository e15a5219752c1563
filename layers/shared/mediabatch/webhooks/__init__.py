"""Webhooks: Standard Webhooks signing (pure) and the delivery of batch events to tenants' URLs."""
