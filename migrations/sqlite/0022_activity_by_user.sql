-- The activity log filtered by user (`filter[user_id]` on `/logs`, the web
-- interface's activity page), newest first.
CREATE INDEX activity_log_user ON activity_log (account_id, user_id, created_at);
