-- The near-duplicate slot locks span 262,144 rows: a fetch of 20 new
-- items locks some 200 slots, which two unrelated concurrent fetches then
-- rarely share.
INSERT INTO neardup_slots SELECT generate_series(4096, 262143);
