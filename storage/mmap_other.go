//go:build !linux

package storage

// initialMmapSize is 0 (bbolt's own growth): on Windows bbolt grows the
// file to the size it maps.
const initialMmapSize = 0

// ReleaseMemory drops the store file's pages from the process's resident
// set where the system allows it (Linux: see mmap_linux.go). Here it does
// nothing and returns nil.
func (s *Store) ReleaseMemory() error { return nil }
