-- Records reach the chain only through the appender, which links a batch
-- and sets the head (sequence and hash) once for it; the per-record
-- trigger of 0009 would run a no-op UPDATE for every other record.
DROP TRIGGER audit_log_moves_head ON audit_log;
DROP FUNCTION audit_log_moves_head();
