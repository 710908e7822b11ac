-- A case's own time limits for some of its steps (state -> amount in the
-- step's unit, JSON), where the law sets one for its matter: a service
-- item's statutory limit instead of the process's general one.
ALTER TABLE cases ADD COLUMN deadlines TEXT;
