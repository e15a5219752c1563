"""Document batches (seed: batch-document-embedding-api.md): PDF and PPTX files become chunks
of text with embeddings in a tenant's vector collection, searchable by meaning."""
