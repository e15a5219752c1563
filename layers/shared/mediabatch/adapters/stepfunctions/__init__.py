"""stepfunctions adapters."""
