//go:build linux

package storage

import (
	"fmt"
	"math/bits"
	"os"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// initialMmapSize is the size of bbolt's first mapping of the file: 1 GiB
// of address space (on 64-bit systems; none of it resident until read),
// so that a store smaller than that is never remapped. bbolt remaps
// whenever the file outgrows the mapping (doubling it up to 1 GiB), and a
// remap, inside a commit, first copies every key and value the
// transaction touched (node.dereference: 16 MB in a commit of 800 new
// items; in BenchmarkWriterPass a fifth of the commits' CPU, the file
// doubling every few commits) and waits for every read transaction to
// end. Mapping beyond the end of the file is how bbolt maps anyway; the
// file itself grows as before. (Not on Windows, where bbolt grows the
// file to the mapping.)
const initialMmapSize = (1 << 30) * (bits.UintSize / 64)

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
