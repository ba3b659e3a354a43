// Package testclock is a settable clock for tests that inject a Now
// function: the test moves time on with Add instead of sleeping.
//
// It is for tests only: production code must not import it.
package testclock
