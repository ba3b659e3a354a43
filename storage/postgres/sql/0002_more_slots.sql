-- Spread the near-duplicate slot locks over 262,144 rows (was 4,096): a
-- fetch of 20 new items locks some 200 slots, which two unrelated
-- concurrent fetches shared almost always with 4,096, and rarely now.
INSERT INTO neardup_slots SELECT generate_series(4096, 262143);
