"""Quotas: per-tenant limits on creating batch work and on jobs not yet finished."""
