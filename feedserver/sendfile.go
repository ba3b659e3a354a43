package feedserver

// Large feed bodies leave by sendfile(2) from a nameless file.
//
// A channel of 50 full-text items renders to ~150 KB. Written from memory,
// each 200 copies those bytes into the kernel; nginx serving the same bytes
// as a static file hands the kernel page-cache pages instead (sendfile).
// So a rendition whose body is at least sendfileMin also keeps its bytes
// (plain, then gzip) in a bodyFile: an O_TMPFILE file in the store's
// folder, never linked, so it has no name, nothing to clean up after a
// crash, and lives in the page cache. The hot loop (hotloop.go) sends the
// response header with MSG_MORE and the body with sendfile from the
// response's own offset, so any number of responses share one file; the
// header leaves in the body's first packet (measured: a header sent as a
// packet of its own cost as much as sendfile saved, sys 27 µs per response
// against 20 µs).
//
// Anything else (a small body, no O_TMPFILE in that folder, another OS, an
// error making the file) is served from memory, with the same bytes and
// headers. A rendition and its file are immutable; a file is closed by the
// garbage collector once no rendition and no response in flight holds it,
// so a slow reader of an old rendition keeps reading the old bytes.

import (
	"os"
	"sync/atomic"
)

// sendfileMin is the smallest body sent from a bodyFile: below it one
// writev from memory costs about as much as the copy it would save.
const sendfileMin = 32 << 10

// bodyFile holds a rendition's body at offset 0 and its gzip encoding
// right after it.
type bodyFile struct {
	f  *os.File // kept for its lifetime: closing it closes fd
	fd int
}

// sendfileBytes counts the body bytes sent by sendfile (for tests).
var sendfileBytes atomic.Int64

// newBodyFile writes body and gz to a nameless file in dir.
func newBodyFile(dir string, body, gz []byte) (*bodyFile, error) {
	f, err := openNameless(dir)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(body); err == nil {
		_, err = f.Write(gz)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &bodyFile{f: f, fd: int(f.Fd())}, nil
}

// attachBodyFile gives r a bodyFile: prev's when the bytes are the same,
// else a new one in s.spoolDir when the body is large enough. Failing is
// not an error: r is then served from memory, and the first failure is
// logged.
func (s *Server) attachBodyFile(r, prev *rendition) {
	switch {
	case prev != nil && prev.file != nil && prev.etag == r.etag:
		r.file = prev.file
	case len(r.body) < sendfileMin || s.spoolDir == "":
		return
	default:
		bf, err := newBodyFile(s.spoolDir, r.body, r.gzipped)
		if err != nil {
			s.spoolOnce.Do(func() {
				s.log.Info("feedserver: large feeds are served from memory, not with sendfile", "dir", s.spoolDir, "err", err)
			})
			return
		}
		r.file = bf
	}
}
