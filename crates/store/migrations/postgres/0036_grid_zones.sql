-- Reports near a point are found by their zone (about 280 m square; the
-- formula is egov_grid::coords::zone) instead of a band of latitude across
-- the city: a few index ranges, whatever the city's size.
ALTER TABLE grid_reports ADD COLUMN zone BIGINT;
UPDATE grid_reports
SET zone = FLOOR((lat + 90.0) * 400.0)::BIGINT * 1000000 + FLOOR((lon + 180.0) * 300.0)::BIGINT;
DROP INDEX grid_reports_near;
CREATE INDEX grid_reports_zone ON grid_reports (service_code, zone, received_at);
