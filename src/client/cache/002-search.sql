-- Version 2: local full-text search over the cached campaigns.
--
-- A contentless FTS5 table (it stores only the index; the text stays in
-- campaigns) whose rowid is the campaign's rowid, kept in step by triggers.
-- A contentless table forgets nothing by itself: a delete must give the
-- values that were indexed, which the triggers take from the old row with the
-- same expressions as the insert.  Diacritics are folded ("café" = "cafe")
-- and 2- and 3-character prefixes are indexed for search as you type.
CREATE VIRTUAL TABLE campaigns_fts USING fts5 (
  title, creator, category, story,
  content = '',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

-- The campaigns cached by version 1.
INSERT INTO campaigns_fts (rowid, title, creator, category, story)
  SELECT rowid, title,
         coalesce (creator_display_name, '') || ' ' || coalesce (creator_username, ''),
         category, description
  FROM campaigns;

CREATE TRIGGER campaigns_fts_insert AFTER INSERT ON campaigns BEGIN
  INSERT INTO campaigns_fts (rowid, title, creator, category, story)
  VALUES (new.rowid, new.title,
          coalesce (new.creator_display_name, '') || ' ' || coalesce (new.creator_username, ''),
          new.category, new.description);
END;

CREATE TRIGGER campaigns_fts_delete AFTER DELETE ON campaigns BEGIN
  INSERT INTO campaigns_fts (campaigns_fts, rowid, title, creator, category, story)
  VALUES ('delete', old.rowid, old.title,
          coalesce (old.creator_display_name, '') || ' ' || coalesce (old.creator_username, ''),
          old.category, old.description);
END;

-- Only when an indexed text changed (a progress update or an identical
-- sync upsert leaves the index alone).
CREATE TRIGGER campaigns_fts_update AFTER UPDATE OF title, creator_display_name, creator_username,
                                                    category, description ON campaigns
WHEN old.title IS NOT new.title
  OR old.creator_display_name IS NOT new.creator_display_name
  OR old.creator_username IS NOT new.creator_username
  OR old.category IS NOT new.category
  OR old.description IS NOT new.description
BEGIN
  INSERT INTO campaigns_fts (campaigns_fts, rowid, title, creator, category, story)
  VALUES ('delete', old.rowid, old.title,
          coalesce (old.creator_display_name, '') || ' ' || coalesce (old.creator_username, ''),
          old.category, old.description);
  INSERT INTO campaigns_fts (rowid, title, creator, category, story)
  VALUES (new.rowid, new.title,
          coalesce (new.creator_display_name, '') || ' ' || coalesce (new.creator_username, ''),
          new.category, new.description);
END;
