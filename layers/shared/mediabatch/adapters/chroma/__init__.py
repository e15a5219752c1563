"""The vector store: Chroma, embedded (persistent folder) or a server (HttpClient)."""
