// Package pgtest gives tests a real PostgreSQL: once per test binary it
// starts a throwaway cluster from Debian's server binaries
// (/usr/lib/postgresql/*/bin, installed by `make deps`) as an unprivileged
// user, listening on a socket in a private temporary directory only, with
// durability off; the server is a direct child of the test binary and dies
// with it. It migrates a template database once, and NewDB clones it per
// test.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// then pgtest.NewDB(t) in a test returns the DSN of a fresh database that
// is dropped when the test ends. CreateDB does the same without a
// *testing.T (for helpers and child processes). When the binaries are
// missing, NewDB fails the test saying to run `make deps`; nothing is
// skipped.
//
// It must not be imported by anything but tests and test helpers.
package pgtest
