"""Background processing of uploaded videos: probe, thumbnail, HLS (one step per state)."""
