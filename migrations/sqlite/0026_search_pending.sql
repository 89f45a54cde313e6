-- The full-text index's changes wait in `search_pending` until the write
-- group's commit, which applies them in order (`index_pending` in
-- src/store/search.rs) and empties it, in the same transaction. Writes
-- commit in groups, each write in a savepoint of its own, and FTS5 writes
-- what it holds to a new segment of its index at every savepoint: fed by
-- the triggers directly, each write cost a segment and the merges that
-- follow. Committed, the table is always empty.
CREATE TABLE search_pending (
    seq INTEGER PRIMARY KEY,
    command TEXT,
    search_key INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);

DROP TRIGGER search_entries_ai;
DROP TRIGGER search_entries_ad;
DROP TRIGGER search_entries_au;
CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_pending (command, search_key, title, body)
        VALUES (NULL, new.search_key, new.title, new.body);
END;
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_pending (command, search_key, title, body)
        VALUES ('delete', old.search_key, old.title, old.body);
END;
CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
    INSERT INTO search_pending (command, search_key, title, body)
        VALUES ('delete', old.search_key, old.title, old.body);
    INSERT INTO search_pending (command, search_key, title, body)
        VALUES (NULL, new.search_key, new.title, new.body);
END;
