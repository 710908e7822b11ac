-- The point of a request for corrections (补正) an applicant's upload answers.
ALTER TABLE case_attachments ADD COLUMN answers_item TEXT;
