package fetcher

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/feedmill/feedmill/internal/logonce"
)

// pageJob is one item whose article page is to be fetched.
type pageJob struct {
	itemID, hash uint64   // the item, and its body's hash when queued
	page         *url.URL // the item's link
	title        string
	teaser       string // the feed's body of the item
	rule         FullTextRule
	attempts     int
}

// pageQueue holds the pages to fetch, apart from the feeds: its own
// workers (FullTextOptions.Workers, so pages never hold the feed
// workers), served round-robin over hosts and never more at once to one
// host than Options.PerHost (the fetch itself also takes the host's slot
// shared with feed fetches). A failed page is queued again after a
// backoff by a timer.
type pageQueue struct {
	f *Fetcher

	mu       sync.Mutex
	hosts    map[string][]*pageJob
	order    []string // hosts with jobs, in turn
	next     int      // the host whose turn it is
	active   map[string]int
	workers  int
	queued   int             // in hosts
	pending  int             // queued, being fetched or waiting for a retry
	full     *logonce.Streak // a full queue, logged once per run
	lastFull time.Time       // when a page was last left out (zero: not since the run ended)
	first    int             // not yet tried once
	closed   bool            // the store is closed: nothing more is taken
}

// queueCalm is how long the page queue must take every page before a run
// of "queue full" ends.
const queueCalm = time.Minute

// now is the fetcher's clock.
func (q *pageQueue) now() time.Time {
	if q.f.opts.Now != nil {
		return q.f.opts.Now()
	}
	return time.Now()
}

func (f *Fetcher) newPageQueue() *pageQueue {
	return &pageQueue{f: f, hosts: make(map[string][]*pageJob), active: make(map[string]int),
		full: logonce.New(f.log, logonce.Messages{
			Start:   "full text: page queue full, new items keep their teasers",
			Ongoing: "full text: page queue still full",
			End:     "full text: page queue takes pages again",
			Unit:    "pages",
		}, 0, f.opts.Now)}
}

// add queues j (a retry when j.attempts > 0); false when the queue is
// full.
func (q *pageQueue) add(j *pageJob) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		if j.attempts > 0 {
			q.pending-- // a retry that will not be
		}
		return false
	}
	if j.attempts == 0 {
		if q.queued >= q.f.opts.FullText.Queue {
			q.lastFull = q.now()
			q.full.Fail(nil, "queued", q.queued)
			return false
		}
		if !q.lastFull.IsZero() && q.now().Sub(q.lastFull) >= queueCalm {
			q.full.OK() // a queue that flaps at its limit is still one run
			q.lastFull = time.Time{}
		}
		q.pending++
		q.first++
	}
	h := hostKey(j.page.String())
	if len(q.hosts[h]) == 0 {
		q.order = append(q.order, h)
	}
	q.hosts[h] = append(q.hosts[h], j)
	q.queued++
	q.spawn()
	return true
}

// close drops the queued pages and takes no more: the store they would be
// recorded in is closed.
func (q *pageQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for _, jobs := range q.hosts {
		for _, j := range jobs {
			q.pending--
			if j.attempts == 0 {
				q.first--
			}
		}
	}
	q.hosts, q.order, q.next, q.queued = map[string][]*pageJob{}, nil, 0, 0
}

// spawn starts a worker when there is work and room (q.mu held).
func (q *pageQueue) spawn() {
	if q.queued > 0 && q.workers < q.f.opts.FullText.Workers {
		q.workers++
		go q.work()
	}
}

// work fetches pages until none can be taken.
func (q *pageQueue) work() {
	for {
		j, host := q.take()
		if j == nil {
			return
		}
		retry := q.f.fetchPage(j)
		q.mu.Lock()
		q.active[host]--
		if q.active[host] == 0 {
			delete(q.active, host)
		}
		if j.attempts == 1 {
			q.first--
		}
		if retry > 0 {
			time.AfterFunc(retry, func() { q.add(j) })
		} else {
			q.pending--
		}
		q.spawn()
		q.mu.Unlock()
	}
}

// take hands out the next page of the next host below its limit; nil
// (and the worker ends) when there is none.
func (q *pageQueue) take() (*pageJob, string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := 0; i < len(q.order); i++ {
		k := (q.next + i) % len(q.order)
		h := q.order[k]
		if q.active[h] >= q.f.opts.PerHost {
			continue
		}
		jobs := q.hosts[h]
		j := jobs[0]
		if len(jobs) == 1 {
			delete(q.hosts, h)
			q.order = append(q.order[:k], q.order[k+1:]...)
			q.next = k
		} else {
			q.hosts[h] = jobs[1:]
			q.next = k + 1
		}
		if len(q.order) > 0 {
			q.next %= len(q.order)
		} else {
			q.next = 0
		}
		q.queued--
		q.active[h]++
		return j, h
	}
	q.workers--
	return nil, ""
}

// wait returns once no page is left to try (firstOnly: once every
// queued page was tried at least once), or ctx ended.
func (q *pageQueue) wait(ctx context.Context, firstOnly bool) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		q.mu.Lock()
		n := q.pending
		if firstOnly {
			n = q.first
		}
		q.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// WaitPages returns once every article page queued for full text was
// fetched or given up, retries included, or ctx ended.
func (f *Fetcher) WaitPages(ctx context.Context) error {
	return f.pages.wait(ctx, false)
}
