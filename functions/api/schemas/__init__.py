"""Wire models of the HTTP API: seed field names, envelopes and aliases, built from domain
objects. The OpenAPI document is generated from these (docs/openapi.json)."""
