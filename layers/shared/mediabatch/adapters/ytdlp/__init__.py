"""ytdlp adapters."""
