"""Test support: generated media, a local media HTTP server, a webhook receiver."""
