package robots

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// ErrWait is returned when the host's robots.txt answered 5xx: no page
// of it is fetched until it answers again.
var ErrWait = errors.New("robots.txt answers a server error: waiting")

// Get fetches a robots.txt: its HTTP status and body, or an error when
// it cannot be reached.
type Get func(ctx context.Context, robotsURL string) (status int, body []byte, err error)

// Cache of robots.txt rules by scheme and host. Safe for concurrent use.
type Cache struct {
	get   Get
	agent string
	max   int
	now   func() time.Time

	mu    sync.Mutex
	hosts map[string]*entry
}

type entry struct {
	ready   chan struct{} // closed once the fields below are set
	data    *robotstxt.RobotsData
	wait    bool // 5xx
	expires time.Time
}

// Refresh is how long rules are kept; Retry how long a 5xx is.
const (
	Refresh = 24 * time.Hour
	Retry   = 10 * time.Minute
)

// New returns a Cache that keeps at most maxHosts hosts, fetching with
// get and matching the rules for agent (the product token of the
// User-Agent).
func New(get Get, agent string, maxHosts int, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{get: get, agent: agent, max: max(maxHosts, 1), now: now, hosts: make(map[string]*entry)}
}

// Allowed reports whether page may be fetched; ErrWait while the host's
// robots.txt answers 5xx.
func (c *Cache) Allowed(ctx context.Context, page *url.URL) (bool, error) {
	e := c.entry(ctx, page)
	if e.wait {
		return false, ErrWait
	}
	if e.data == nil {
		return true, nil
	}
	path := page.EscapedPath()
	if path == "" {
		path = "/"
	}
	if page.RawQuery != "" {
		path += "?" + page.RawQuery
	}
	return e.data.TestAgent(path, c.agent), nil
}

// entry is the host's current rules, fetched when missing or expired
// (one fetch per host at a time; the others wait for it).
func (c *Cache) entry(ctx context.Context, page *url.URL) *entry {
	key := page.Scheme + "://" + page.Host
	now := c.now()
	c.mu.Lock()
	e := c.hosts[key]
	if e != nil {
		select {
		case <-e.ready:
			if now.Before(e.expires) {
				c.mu.Unlock()
				return e
			}
		default:
			c.mu.Unlock()
			<-e.ready
			return e
		}
	}
	if len(c.hosts) >= c.max {
		c.evict()
	}
	e = &entry{ready: make(chan struct{})}
	c.hosts[key] = e
	c.mu.Unlock()

	defer close(e.ready)
	e.expires = now.Add(Refresh)
	status, body, err := c.get(ctx, key+"/robots.txt")
	switch {
	case err != nil, status >= 400 && status < 500:
		// unreachable or none: everything allowed
	case status >= 500:
		e.wait, e.expires = true, now.Add(Retry)
	case status >= 200 && status < 300:
		if data, perr := robotstxt.FromBytes(body); perr == nil {
			e.data = data
		}
	}
	return e
}

// evict drops the entry closest to expiring (c.mu held).
func (c *Cache) evict() {
	var oldest string
	var at time.Time
	for k, e := range c.hosts {
		select {
		case <-e.ready:
		default:
			continue
		}
		if oldest == "" || e.expires.Before(at) {
			oldest, at = k, e.expires
		}
	}
	if oldest != "" {
		delete(c.hosts, oldest)
	}
}
