-- An enterprise is the applicant: its legal representative and every
-- operator see and act on what any of them filed for it. The enterprise
-- the applicant acted for is kept on the draft and on the case.
ALTER TABLE applications ADD COLUMN enterprise_id BIGINT REFERENCES enterprises (id);
ALTER TABLE cases ADD COLUMN enterprise_id BIGINT REFERENCES enterprises (id);
UPDATE applications SET enterprise_id =
    (SELECT u.enterprise_id FROM users u WHERE u.id = applications.applicant_id);
UPDATE cases SET enterprise_id =
    (SELECT u.enterprise_id FROM users u WHERE u.id = cases.applicant_id)
WHERE applicant_id IS NOT NULL;
CREATE INDEX applications_enterprise ON applications (enterprise_id) WHERE enterprise_id IS NOT NULL;
CREATE INDEX cases_enterprise ON cases (enterprise_id) WHERE enterprise_id IS NOT NULL;
