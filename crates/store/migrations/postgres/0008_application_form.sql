-- What the applicant typed into the item's form (a JSON object the guide's
-- form schema describes), saved with the draft and checked at filing.
ALTER TABLE applications ADD COLUMN data TEXT NOT NULL DEFAULT '{}';

-- One draft per applicant and item: two tabs opening the same item's
-- application at once share the draft instead of making two.
CREATE UNIQUE INDEX applications_one_draft ON applications (applicant_id, item_code)
    WHERE status = 'draft';
