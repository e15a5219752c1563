"""Tenants: who an API key belongs to, and each tenant's webhook signing secret."""
