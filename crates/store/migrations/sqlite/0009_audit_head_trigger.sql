-- The audit chain's head follows each appended record by itself, so an
-- append is two statements (take the head, insert the record), not three.
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1 AND seq = NEW.seq;
END;
