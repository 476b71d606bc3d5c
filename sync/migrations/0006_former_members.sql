-- A member removed from a case keeps a row until they are added again: `left_seq` is the seq of
-- the REMOVE entry. Their device pulls the case up to that entry, so it learns of the removal
-- (and of the entries of theirs the server confirmed before it), and nothing after.

ALTER TABLE case_members ADD COLUMN left_seq INTEGER;
