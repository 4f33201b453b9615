-- Media sends that run in the background (conversions with FFmpeg, large files): the request is
-- accepted with 202 once its row and its input are here, and a restart resumes what is left.
-- status: queued, processing (converting and uploading), sending (its message is in the
-- outbox), done, failed.
CREATE TABLE media_jobs (
    job_id       TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_id    TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    chat_jid     TEXT NOT NULL,
    status       TEXT NOT NULL,
    -- The send's options (JSON) and the media as received; the input goes once the job ends.
    request      TEXT NOT NULL,
    input        BYTEA,
    input_mime   TEXT NOT NULL,
    input_bytes  BIGINT NOT NULL,
    message_id   TEXT,
    error        TEXT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    started_at   BIGINT,
    converted_ms BIGINT,
    finished_at  BIGINT
);
CREATE INDEX media_jobs_open ON media_jobs(status) WHERE status IN ('queued', 'processing', 'sending');

-- A queued message that a job sent: its message.sent names the job and settles it.
ALTER TABLE outbox ADD COLUMN job_id TEXT;
