//go:build !linux || 386

package feedserver

import (
	"errors"
	"os"
)

// hotSyscalls: elsewhere the hot loop hands every connection to fasthttp
// at once, and large bodies are written from memory.
const hotSyscalls = false

// openNameless fails: elsewhere large feeds are served from memory.
func openNameless(string) (*os.File, error) {
	return nil, errors.New("sendfile of nameless files is implemented on Linux only")
}

type sockIO struct {
	buf     []byte
	n, want int
	err     error
}

func (s *sockIO) peekStep(uintptr) bool { return true }
func (s *sockIO) takeStep(uintptr)      {}

type headAndFile struct {
	hdr    []byte
	fd     int
	off, n int64
	err    error
}

func (h *headAndFile) step(uintptr) bool { return true }
