// Package similar holds the near-duplicate rules both store backends
// apply, so that they put the same items into the same stories: the
// thresholds, the window, the LSH keys an item is filed under (SimHash
// bands and lead MinHashes), Compare, and the choice of a new item's story
// among the candidates a backend's index found.
//
// It is pure: no storage, no I/O. It must not know how a backend keeps its
// index (bbolt groups, SQL rows).
package similar
