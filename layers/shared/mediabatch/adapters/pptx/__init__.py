"""PPTX text extraction (python-pptx), guarded against zip and XML bombs."""
