// Package testfs gives tests small real file systems to break: a tmpfs
// of a chosen size that a test can fill or make read-only.
//
// It is for tests only: production code must not import it. Mounting
// needs root or CAP_SYS_ADMIN; where the mount is refused the test fails
// and says so, it is never skipped.
package testfs
