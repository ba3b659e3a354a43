//go:build unix

package bolt

import (
	"io/fs"
	"syscall"
)

// fileIdentity is the device and inode of a file.
type fileIdentity struct{ dev, ino uint64 }

// identityOf is fi's device and inode; ok is false where the system does
// not give them.
func identityOf(fi fs.FileInfo) (id fileIdentity, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileIdentity{}, false
	}
	return fileIdentity{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}
