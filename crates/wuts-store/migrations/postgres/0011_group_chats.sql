-- A group chat's name (its subject) and participant count, from the group's notifications and
-- the group reads the device makes (NULL when not known).
ALTER TABLE chats ADD COLUMN name TEXT;
ALTER TABLE chats ADD COLUMN participant_count BIGINT;
