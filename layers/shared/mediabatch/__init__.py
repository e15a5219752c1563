"""mediabatch domain logic, adapters and settings: the shared Lambda layer.

Nothing here knows Lambda event shapes; handlers in functions/ translate events into calls.
"""
