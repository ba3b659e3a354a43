// Package schedule decides when a source is due: Next is one pure function
// of what is known after a fetch (the source's interval or cron, the
// adaptive interval from the observed publishing rate, RSS ttl,
// sy:updatePeriod, skipHours/skipDays, Cache-Control/Expires, Retry-After,
// and the backoff after failures). StoreBackoff is the wait after fetches
// the store could not record.
//
// It reads no clock, does no I/O and keeps no state: the fetcher passes
// everything in and stores what comes out.
package schedule
