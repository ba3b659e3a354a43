// Package robots answers whether feedmill may fetch a page: robots.txt of
// the page's host (parsed by github.com/temoto/robotstxt), cached per
// host with a bound on the hosts kept and refreshed daily. A robots.txt
// that cannot be reached or answers 4xx allows everything; a 5xx asks to
// wait (ErrWait) and is asked again after a while.
//
// It fetches robots.txt through the function it is given (the fetcher's
// client, with its guard and limits) and does nothing else.
package robots
