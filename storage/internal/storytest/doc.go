// Package storytest holds the news stories and the lead hashing that the
// near-duplicate tests of storage and storage/bolt/internal/neardup share.
//
// It is for tests only: production code must not import it.
package storytest
