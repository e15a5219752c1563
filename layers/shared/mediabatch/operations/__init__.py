"""Operations on media items a tenant already has: delete and copy (one or a batch), and the
audit log that records who did what."""
