-- User metrics (GET /user_metrics): per user, organization, resource type
-- (class name, or a flexible asset type's name) and UTC day, how many
-- records the user created, viewed, edited and deleted. Writes count in the
-- write's own transaction; views are counted in memory and added in batches
-- every few seconds. `organization_id` is 0 for records of no
-- organization (the unique key needs a value). A user's `reputation` is
-- kept beside it in the same transactions: 10 per create, 5 per edit, 1
-- per view.
CREATE TABLE user_metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    date TEXT NOT NULL,
    created BIGINT NOT NULL DEFAULT 0,
    viewed BIGINT NOT NULL DEFAULT 0,
    edited BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX user_metrics_key
    ON user_metrics (account_id, user_id, organization_id, resource_type, date);
CREATE INDEX user_metrics_date ON user_metrics (account_id, date, id);
CREATE INDEX user_metrics_user ON user_metrics (account_id, user_id, date, id);
CREATE INDEX user_metrics_organization ON user_metrics (account_id, organization_id, date, id);
CREATE INDEX user_metrics_type ON user_metrics (account_id, resource_type, date, id);
CREATE INDEX user_metrics_created ON user_metrics (account_id, created, id);
CREATE INDEX user_metrics_viewed ON user_metrics (account_id, viewed, id);
CREATE INDEX user_metrics_edited ON user_metrics (account_id, edited, id);
CREATE INDEX user_metrics_deleted ON user_metrics (account_id, deleted, id);
