//go:build !linux

package bolt

// initialMmapSize is 0 (bbolt's own growth): on Windows bbolt grows the
// file to the size it maps.
const initialMmapSize = 0
