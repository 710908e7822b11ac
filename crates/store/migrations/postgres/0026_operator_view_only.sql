-- An enterprise operator the legal representative limited to seeing the
-- enterprise's applications and results, without acting on them.
ALTER TABLE users ADD COLUMN view_only BOOLEAN NOT NULL DEFAULT FALSE;
