//go:build !linux

package feedserver

import (
	"errors"
	"os"
)

// canSendfile: elsewhere large bodies are written from memory.
const canSendfile = false

// openNameless fails: elsewhere large feeds are served from memory.
func openNameless(string) (*os.File, error) {
	return nil, errors.New("sendfile of nameless files is implemented on Linux only")
}

type headAndFile struct {
	hdr    []byte
	fd     int
	off, n int64
	err    error
}

func (h *headAndFile) step(uintptr) bool { return true }
