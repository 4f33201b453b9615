-- The chat's disappearing-message timer in seconds (0: off): outgoing messages carry it.
ALTER TABLE chats ADD COLUMN ephemeral BIGINT NOT NULL DEFAULT 0;
