//go:build linux

package bolt

import "math/bits"

// initialMmapSize is the size of bbolt's first mapping of a large file:
// 1 GiB of address space (on 64-bit systems; none of it resident until
// read), so that a store smaller than that is never remapped. bbolt remaps
// whenever the file outgrows the mapping, and a remap, inside a commit,
// first copies every key and value the transaction touched and waits for
// every read transaction to end. Mapping beyond the end of the file is how
// bbolt maps anyway; the file itself grows as before.
const initialMmapSize = (1 << 30) * (bits.UintSize / 64)
