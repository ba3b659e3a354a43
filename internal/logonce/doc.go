// Package logonce turns a run of failures with one cause into a few log
// lines: one when the run starts, a count every few minutes while it lasts,
// and one when it ends ("store writable again after 3m12s, 823 commits
// failed").
//
// It owns only the bookkeeping of one cause and its lines; it must not
// decide what counts as a failure or retry anything.
package logonce
