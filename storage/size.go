package storage

import (
	"fmt"
	"os"
)

// Size is the store file's size in bytes, as the file system reports it
// (for /metrics). bbolt never shrinks the file: free pages are reused, and
// compaction is offline.
func (s *Store) Size() (int64, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0, fmt.Errorf("store size: %w", err)
	}
	return fi.Size(), nil
}
