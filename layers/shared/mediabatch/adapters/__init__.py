"""Adapters: the only modules that talk to AWS services, yt-dlp and the network."""
