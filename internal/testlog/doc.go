// Package testlog gives tests a log sink that many goroutines may write
// while the test reads it, with the few questions tests ask of a log.
//
// It is for tests only: production code must not import it.
package testlog
