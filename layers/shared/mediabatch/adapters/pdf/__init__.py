"""PDF text extraction (pypdf)."""
