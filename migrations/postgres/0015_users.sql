-- The people of an account (GET /users) and their groups (GET /groups).
-- Users are made from the command line (`mortar users create`) or on the
-- first start; the API changes only names and the avatar. `email_key` is
-- the address lowercased: unique per account. `name` is "first last", kept
-- by the server for the `name` filter and sort. `password_hash` is an
-- argon2id PHC string; NULL until a password is set. A user with
-- `disabled_at` cannot sign in and the keys tied to them are refused.
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    name TEXT NOT NULL,
    role_name TEXT NOT NULL,
    password_hash TEXT,
    avatar_path TEXT,
    avatar_content_type TEXT,
    invitation_sent_at BIGINT,
    invitation_accepted_at BIGINT,
    current_sign_in_at BIGINT,
    current_sign_in_ip TEXT,
    last_sign_in_at BIGINT,
    last_sign_in_ip TEXT,
    reputation BIGINT NOT NULL DEFAULT 0,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (account_id, email_key);
CREATE INDEX users_name ON users (account_id, name, id);
CREATE INDEX users_email_sort ON users (account_id, email, id);
CREATE INDEX users_role ON users (account_id, role_name, id);
CREATE INDEX users_reputation ON users (account_id, reputation, id);
CREATE INDEX users_created ON users (account_id, created_at, id);
CREATE INDEX users_updated ON users (account_id, updated_at, id);

-- A key may act for a user: the activity log then names them, the user's
-- role bounds what the key may do, and disabling the user stops the key.
ALTER TABLE api_keys ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE groups (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (account_id, name);
CREATE INDEX groups_created ON groups (account_id, created_at, id);
CREATE INDEX groups_updated ON groups (account_id, updated_at, id);

-- Who is in a group.
CREATE TABLE group_members (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- The organizations a group is given (organizations' `filter[group_id]`).
CREATE TABLE group_organizations (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, organization_id)
);
CREATE INDEX group_organizations_organization ON group_organizations (organization_id);
