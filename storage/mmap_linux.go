//go:build linux

package storage

import (
	"fmt"
	"os"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// ReleaseMemory drops the store file's pages from the process's resident
// set (VmRSS): madvise(MADV_DONTNEED) over bbolt's mapping of the file. It
// frees no data and changes nothing on disk; it only makes the kernel stop
// counting those pages against this process.
//
// Why this is safe, even while other goroutines read the store: bbolt maps
// the file read-only and MAP_SHARED, and writes through pwrite, never
// through the mapping, so every mapped page is a clean page of the file's
// page cache. MADV_DONTNEED on such a mapping only removes the page table
// entries: the mapping itself stays (byte slices that readers hold keep
// their addresses), the page stays in the page cache, and the next access,
// by any goroutine, faults the same bytes back in (a minor fault, no disk
// read unless the kernel evicted the page meanwhile, as it may anyway).
// Unlike anonymous or private memory, nothing is zeroed. The call runs
// inside a read transaction, which holds bbolt's mmap lock, so the mapping
// cannot be replaced (grown) while it is advised.
//
// The cost is that the next reads fault their pages in again, so the daemon
// calls it after bursts of reading (a render, a pass, retention), not per
// item. On other systems ReleaseMemory does nothing.
func (s *Store) ReleaseMemory() error {
	err := s.db.View(func(tx *bolt.Tx) error {
		size := uintptr(tx.Size())
		ps := uintptr(os.Getpagesize())
		size = (size + ps - 1) &^ (ps - 1)
		addr := s.db.Info().Data
		if addr == 0 || size == 0 {
			return nil
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, size, syscall.MADV_DONTNEED); errno != 0 {
			return errno
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release memory of store %s: %w", s.path, err)
	}
	return nil
}
