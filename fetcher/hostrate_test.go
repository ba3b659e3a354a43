package fetcher

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestHostRate: after a burst of PerHost, requests to one host are spaced
// by HostInterval; another host is not held up by it.
func TestHostRate(t *testing.T) {
	const interval = 100 * time.Millisecond
	var mu sync.Mutex
	starts := map[string][]time.Time{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		host, _, _ := net.SplitHostPort(r.Host)
		starts[host] = append(starts[host], time.Now())
		mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
	})
	one := httptest.NewServer(handler)
	defer one.Close()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	two := httptest.NewUnstartedServer(handler)
	two.Listener.Close()
	two.Listener = ln
	two.Start()
	defer two.Close()

	st := openStore(t, nil)
	for i := range 6 {
		addSource(t, st, fmt.Sprintf("%s/%d", one.URL, i))
	}
	addSource(t, st, two.URL+"/x")
	f := newTestFetcher(st, nil, func(o *Options) { o.PerHost = 2; o.Workers = 8; o.HostInterval = interval })
	begin := time.Now()
	if rep := pass(t, f, PassOptions{}); rep.Failed != 0 || len(rep.Results) != 7 {
		t.Fatalf("%+v", rep)
	}
	// Nothing per host or per source is left once nothing is in flight.
	if len(f.hosts.m) != 0 || len(f.busy) != 0 {
		t.Errorf("after the pass: %d host slots, %d busy sources", len(f.hosts.m), len(f.busy))
	}
	mu.Lock()
	defer mu.Unlock()
	a := starts["127.0.0.1"]
	slices.SortFunc(a, func(x, y time.Time) int { return x.Compare(y) })
	if len(a) != 6 {
		t.Fatalf("%d requests to 127.0.0.1", len(a))
	}
	for k := 2; k < len(a); k++ {
		// Token k (0-based) is available (k-1) intervals after the start.
		if d := a[k].Sub(begin); d < time.Duration(k-1)*interval-5*time.Millisecond {
			t.Errorf("request %d to one host after %v, want at least %v", k, d, time.Duration(k-1)*interval)
		}
	}
	if b := starts["127.0.0.2"]; len(b) != 1 || b[0].Sub(begin) > interval {
		t.Errorf("other host: %v after start", b)
	}
}

// TestHostRateForgetsIdleHosts: thousands of hosts coming and going leave
// no buckets behind: a host idle for longer than its bucket takes to fill
// is forgotten at the next sweep, and a busy host keeps its bucket.
func TestHostRateForgetsIdleHosts(t *testing.T) {
	clock := newClock()
	rt := newHostRate(http.DefaultTransport, 10*time.Millisecond, 2).(*hostRateTransport)
	rt.now = clock.Now
	rt.sweptAt = clock.Now()
	for i := range 5000 {
		rt.limiter(fmt.Sprintf("host%d.example", i)).AllowN(clock.Now(), 2)
	}
	if n := rt.size(); n < 1024 || n > 5000 {
		t.Fatalf("%d buckets after 5000 busy hosts", n)
	}
	// A minute later only one host is still busy.
	clock.Add(sweepEvery)
	rt.limiter("busy.example").AllowN(clock.Now(), 2)
	clock.Add(time.Millisecond)
	rt.limiter("busy.example")
	if n := rt.size(); n != 1 {
		t.Errorf("%d buckets a minute after 5000 hosts went idle, want 1 (the busy one)", n)
	}
	clock.Add(sweepEvery)
	rt.limiter("other.example")
	if n := rt.size(); n != 1 {
		t.Errorf("%d buckets after the busy host went idle too, want 1", n)
	}
}
