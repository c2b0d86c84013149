-- Encryption at rest: the id of the data key that sealed a row's secret
-- column (packets.case_json, blobs.bytes). NULL marks a row written before
-- encryption, still in clear until `inkseal store rekey` seals it.
ALTER TABLE packets ADD COLUMN case_key_id TEXT;
ALTER TABLE blobs ADD COLUMN key_id TEXT;

-- Start-up asks which key ids the database uses; these keep that cheap.
CREATE INDEX packets_case_key_id ON packets (case_key_id);
CREATE INDEX blobs_key_id ON blobs (key_id);
