//go:build !unix

package bolt

import "io/fs"

// fileIdentity is the device and inode of a file; this system gives none.
type fileIdentity struct{}

// identityOf is never ok here: a replaced file is not detected.
func identityOf(fs.FileInfo) (fileIdentity, bool) { return fileIdentity{}, false }
