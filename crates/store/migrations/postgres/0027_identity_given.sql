-- A material answered with the applicant's identity as the platform
-- verified it (the assurance level it was verified to), not an upload.
ALTER TABLE application_files ADD COLUMN identity_level INTEGER;
