package feedserver

import (
	"io"
	"os"
	"syscall"
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

// canSendfile: the hot loop sends large bodies with sendHeadAndFile.
const canSendfile = true

// headAndFile is one response being sent by sendHeadAndFile: the header,
// then n bytes of file fd from off.
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
