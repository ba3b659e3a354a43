package fetcher

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// Metrics are the fetcher's counters since New, for the daemon's /metrics.
// Every field only grows.
type Metrics struct {
	// Fetches by outcome (see Outcomes): every fetch counts once, and a
	// fetch whose result the store could not record is a store_error,
	// whatever the server answered.
	Outcomes map[string]uint64
	// Recorded fetches by HTTP status class: "2xx", "3xx" (304 Not
	// Modified counts here), "4xx", "5xx", and "error" for no response at
	// all. Fetches the store could not record are not counted here.
	ByStatus     map[string]uint64
	StoreErrors  uint64 // fetches whose result the store could not record
	NotModified  uint64 // 304 answers
	Bytes        uint64 // bodies of 2xx responses read, after decompression
	ParseErrors  uint64 // 2xx bodies that were not a readable feed
	ItemsAdded   uint64 // new items stored
	ItemsUpdated uint64 // known items whose body changed
	ItemsDropped uint64 // items retention refused or removed while recording fetches
	Passes       uint64 // completed Pass calls (one-shot and control-socket passes)
	PassSeconds  float64
}

// Fetch outcomes, the labels of Metrics.Outcomes.
const (
	OutcomeStored      = "stored"       // the answer (new items or none) is recorded
	OutcomeNotModified = "not_modified" // 304, recorded
	OutcomeFetchError  = "fetch_error"  // no usable answer (network, HTTP error, limits), recorded
	OutcomeParseError  = "parse_error"  // a 2xx body that was not a readable feed, recorded
	OutcomeStoreError  = "store_error"  // the store could not record the fetch
)

// Outcomes are the fetch outcomes in exposition order.
var Outcomes = []string{OutcomeStored, OutcomeNotModified, OutcomeFetchError, OutcomeParseError, OutcomeStoreError}

// statusClasses are the labels of Metrics.ByStatus, in exposition order.
var statusClasses = []string{"2xx", "3xx", "4xx", "5xx", "error"}

// counters are updated lock-free by the workers.
type counters struct {
	outcomes    [5]atomic.Uint64 // by Outcomes index
	byStatus    [5]atomic.Uint64 // by statusClasses index
	storeErrors atomic.Uint64
	notModified atomic.Uint64
	bytes       atomic.Uint64
	parseErrors atomic.Uint64
	added       atomic.Uint64
	updated     atomic.Uint64
	dropped     atomic.Uint64
	passes      atomic.Uint64
	passNanos   atomic.Int64
}

// observe counts one fetch; storeErr says the store could not record it.
func (c *counters) observe(res Result, ing storage.Ingested, storeErr bool) {
	c.outcomes[outcomeOf(res, storeErr)].Add(1)
	if isParseError(res.Err) {
		c.parseErrors.Add(1)
	}
	if storeErr {
		c.storeErrors.Add(1)
		return
	}
	c.byStatus[statusClass(res.Status)].Add(1)
	if res.NotModified {
		c.notModified.Add(1)
	}
	c.added.Add(uint64(ing.Added))
	c.updated.Add(uint64(ing.Updated))
	c.dropped.Add(uint64(ing.Skipped + ing.Removed))
}

// outcomeOf is the index in Outcomes of a fetch's outcome.
func outcomeOf(res Result, storeErr bool) int {
	switch {
	case storeErr:
		return 4
	case res.Err == "" && res.NotModified:
		return 1
	case res.Err == "":
		return 0
	case isParseError(res.Err):
		return 3
	}
	return 2
}

// pass counts one finished Pass.
func (c *counters) pass(d time.Duration) {
	c.passes.Add(1)
	c.passNanos.Add(int64(d))
}

// statusClass maps an HTTP status (0 = no response) to its index in
// statusClasses.
func statusClass(status int) int {
	switch {
	case status >= 200 && status < 300:
		return 0
	case status >= 300 && status < 400:
		return 1
	case status >= 400 && status < 500:
		return 2
	case status >= 500 && status < 600:
		return 3
	}
	return 4
}

// isParseError reports whether a Result's error says the body was not a
// readable feed (see takeFeed).
func isParseError(reason string) bool {
	return strings.HasPrefix(reason, "parse:") || strings.Contains(reason, ": parse:")
}

// Metrics returns a snapshot of the counters.
func (f *Fetcher) Metrics() Metrics {
	c := &f.metrics
	m := Metrics{
		Outcomes:     make(map[string]uint64, len(Outcomes)),
		ByStatus:     make(map[string]uint64, len(statusClasses)),
		StoreErrors:  c.storeErrors.Load(),
		NotModified:  c.notModified.Load(),
		Bytes:        c.bytes.Load(),
		ParseErrors:  c.parseErrors.Load(),
		ItemsAdded:   c.added.Load(),
		ItemsUpdated: c.updated.Load(),
		ItemsDropped: c.dropped.Load(),
		Passes:       c.passes.Load(),
		PassSeconds:  time.Duration(c.passNanos.Load()).Seconds(),
	}
	for i, o := range Outcomes {
		m.Outcomes[o] = c.outcomes[i].Load()
	}
	for i, class := range statusClasses {
		m.ByStatus[class] = c.byStatus[i].Load()
	}
	return m
}

// WritePrometheus writes m in the Prometheus text format.
func (m Metrics) WritePrometheus(w io.Writer) {
	family := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	family("feedmill_fetches_total", "counter", "Source fetches by outcome: stored, not_modified, fetch_error, parse_error, store_error (the store could not record it).")
	var total uint64
	for _, o := range Outcomes {
		fmt.Fprintf(w, "feedmill_fetches_total{outcome=%q} %d\n", o, m.Outcomes[o])
		total += m.Outcomes[o]
	}
	family("feedmill_fetches_by_status_total", "counter", "Recorded source fetches by HTTP status class (error = no response).")
	for _, class := range statusClasses {
		fmt.Fprintf(w, "feedmill_fetches_by_status_total{class=%q} %d\n", class, m.ByStatus[class])
	}
	family("feedmill_store_errors_total", "counter", "Fetches whose result the store could not record (disk full, store closed, failed commit).")
	fmt.Fprintf(w, "feedmill_store_errors_total %d\n", m.StoreErrors)
	family("feedmill_fetches_not_modified_total", "counter", "Fetches answered 304 Not Modified.")
	fmt.Fprintf(w, "feedmill_fetches_not_modified_total %d\n", m.NotModified)
	share := 0.0
	if total > 0 {
		share = float64(m.NotModified) / float64(total)
	}
	family("feedmill_fetches_not_modified_ratio", "gauge", "Share of fetches answered 304 since start.")
	fmt.Fprintf(w, "feedmill_fetches_not_modified_ratio %g\n", share)
	family("feedmill_fetch_bytes_total", "counter", "Response body bytes read, after decompression.")
	fmt.Fprintf(w, "feedmill_fetch_bytes_total %d\n", m.Bytes)
	family("feedmill_parse_errors_total", "counter", "Responses that were not a readable feed.")
	fmt.Fprintf(w, "feedmill_parse_errors_total %d\n", m.ParseErrors)
	family("feedmill_items_total", "counter", "Items by what the store did with them: stored (new), updated, dropped (retention).")
	fmt.Fprintf(w, "feedmill_items_total{outcome=\"stored\"} %d\n", m.ItemsAdded)
	fmt.Fprintf(w, "feedmill_items_total{outcome=\"updated\"} %d\n", m.ItemsUpdated)
	fmt.Fprintf(w, "feedmill_items_total{outcome=\"dropped\"} %d\n", m.ItemsDropped)
	family("feedmill_pass_duration_seconds", "summary", "Duration of whole passes (fetch, API and control socket).")
	fmt.Fprintf(w, "feedmill_pass_duration_seconds_sum %g\n", m.PassSeconds)
	fmt.Fprintf(w, "feedmill_pass_duration_seconds_count %d\n", m.Passes)
}
