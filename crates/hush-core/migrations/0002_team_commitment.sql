-- Hush local store: the header commits to the set of teams and their heads.
-- `teams` is the sorted list of (team_id, head seq, head hash) of every team row, `teams_mac` an
-- HMAC of it under an account subkey. Both are rewritten in the same transaction as every change
-- to a team's head, so deleting a team's rows or rolling a head back is an integrity error.
-- NULL only in stores written before this column existed (upgraded at the next unlock).
ALTER TABLE header ADD COLUMN teams BLOB;
ALTER TABLE header ADD COLUMN teams_mac BLOB;
