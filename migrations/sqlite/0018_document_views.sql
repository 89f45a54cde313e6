-- How often each document was shown, for Copilot Smart Assist's "most
-- used" list, and indexes for its categories: never viewed or stale (by
-- last view) and most used (by views).
ALTER TABLE documents ADD COLUMN view_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX documents_last_viewed ON documents (account_id, last_viewed_at);
CREATE INDEX documents_view_count ON documents (account_id, view_count);
