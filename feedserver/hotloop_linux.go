//go:build linux && !386

// (linux/386 has no SYS_RECVFROM: hotloop_other.go.)

package feedserver

// The hot loop's system calls (hotloop.go, sendfile.go): peeking at a
// request before taking it off the socket, and sendfile from a nameless
// file behind a MSG_MORE header.

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// openNameless opens a new file in dir that has no name (O_TMPFILE): it
// disappears with its last descriptor, also after a crash.
func openNameless(dir string) (*os.File, error) {
	// O_TMPFILE is __O_TMPFILE|O_DIRECTORY; the syscall package only has
	// the latter.
	const oTmpfile = 0o20000000 | syscall.O_DIRECTORY
	fd, err := syscall.Open(dir, oTmpfile|syscall.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "open O_TMPFILE", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir+"/(body file)"), nil
}

// hotSyscalls: the loop runs here (elsewhere it hands every connection
// to fasthttp at once).
const hotSyscalls = true

// sockIO is the hot loop's own reads of a TCP socket, as functions for
// syscall.RawConn bound once per connection (no allocation per request).
type sockIO struct {
	buf  []byte
	n    int // peeked, or taken
	want int // to take
	err  error
}

// peekStep looks at what the socket holds without taking it (MSG_PEEK);
// false while it holds nothing (RawConn.Read then waits, within the read
// deadline). n == 0 and no error: the client closed.
func (s *sockIO) peekStep(fd uintptr) bool {
	for {
		r, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)), syscall.MSG_PEEK, 0, 0)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			s.n, s.err = int(r), nil
		default:
			s.n, s.err = 0, e
		}
		return true
	}
}

// takeStep takes want bytes, already peeked, off the socket.
func (s *sockIO) takeStep(fd uintptr) {
	for {
		n, err := syscall.Read(int(fd), s.buf[:s.want])
		if err == syscall.EINTR {
			continue
		}
		s.n, s.err = n, err
		return
	}
}

// headAndFile is one response being sent by step: the header, then n
// bytes of file fd from off.
type headAndFile struct {
	hdr    []byte
	fd     int
	off, n int64
	err    error
}

// step sends what the socket takes; it reports false when the socket's
// buffer is full (RawConn.Write then waits, within the write deadline).
func (h *headAndFile) step(sock uintptr) bool {
	for len(h.hdr) > 0 {
		// MSG_MORE: the header waits for the body's first bytes.
		w, err := syscall.SendmsgN(int(sock), h.hdr, nil, nil, syscall.MSG_MORE)
		if w > 0 {
			h.hdr = h.hdr[w:]
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return false
		case err != nil:
			h.err = &os.SyscallError{Syscall: "sendmsg", Err: err}
			return true
		}
	}
	for h.n > 0 {
		w, err := syscall.Sendfile(int(sock), h.fd, &h.off, int(min(h.n, 1<<30)))
		if w > 0 {
			h.n -= int64(w)
			sendfileBytes.Add(int64(w))
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return false
		case err != nil:
			h.err = &os.SyscallError{Syscall: "sendfile", Err: err}
			return true
		case w == 0:
			h.err = io.ErrUnexpectedEOF // the file is shorter than said
			return true
		}
	}
	return true
}
