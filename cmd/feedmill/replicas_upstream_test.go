package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// replicaUpstream serves the multi-replica test's feeds: sources feeds on
// hosts loopback addresses (source k on host k mod hosts), each answering
// in 20–80 ms. Every feed grows by one item per generation; every third
// item is a wire story that wireGroups feeds carry word for word (under
// their own links), so copies of one story reach several replicas at once.
// Each response is logged with its host, source, User-Agent, start and end.
type replicaUpstream struct {
	urls  []string
	hosts int
	gen   atomic.Int64
	base  time.Time

	mu  sync.Mutex
	log []upstreamRequest
}

// upstreamRequest is one request the upstream answered (End zero: still
// being answered).
type upstreamRequest struct {
	Host, Source int
	Agent        string
	Start, End   time.Time
}

// wireGroups is how many feeds share each wire story.
const wireGroups = 100

func startReplicaUpstream(t *testing.T, sources, hosts int) *replicaUpstream {
	u := &replicaUpstream{hosts: hosts, base: time.Now().UTC().Add(-6 * time.Hour).Truncate(time.Second)}
	srv := &http.Server{Handler: http.HandlerFunc(u.serve), ReadHeaderTimeout: 10 * time.Second}
	t.Cleanup(func() { srv.Close() })
	addrs := make([]string, hosts)
	for h := range hosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.31.%d.%d:0", h/250, h%250+1))
		if err != nil {
			t.Fatalf("listen on a loopback address: %v", err)
		}
		addrs[h] = ln.Addr().String()
		go srv.Serve(ln)
	}
	for k := range sources {
		u.urls = append(u.urls, fmt.Sprintf("http://%s/f/%d.rss", addrs[k%hosts], k))
	}
	return u
}

// items is how many items every feed carries now.
func (u *replicaUpstream) items() int { return 4 + int(u.gen.Load()) }

func (u *replicaUpstream) serve(w http.ResponseWriter, r *http.Request) {
	k, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/f/"), ".rss"))
	if err != nil || k < 0 || k >= len(u.urls) {
		http.NotFound(w, r)
		return
	}
	req := upstreamRequest{Host: k % u.hosts, Source: k, Agent: r.UserAgent(), Start: time.Now()}
	u.mu.Lock()
	i := len(u.log)
	u.log = append(u.log, req)
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.log[i].End = time.Now()
		u.mu.Unlock()
	}()

	time.Sleep(time.Duration(20+rand.IntN(61)) * time.Millisecond)
	n := u.items()
	etag := `"g` + strconv.Itoa(n) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(u.feed(k, n))
}

// feed is source k's document with n items, newest first.
func (u *replicaUpstream) feed(k, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet %d</title><link>https://outlet%d.example/</link>`, k, k)
	for i := n - 1; i >= 0; i-- {
		title, text := u.story(k, i)
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">s%d-i%d</guid><pubDate>%s</pubDate><description>%s</description></item>\n",
			title, itemLink(k, i), k, i, u.base.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z), text)
	}
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

func itemLink(k, i int) string { return fmt.Sprintf("https://outlet%d.example/news/%d", k, i) }

// story is the title and text of item i of feed k: a wire story shared by
// the feeds congruent to k modulo wireGroups for every third item, else
// the outlet's own.
func (u *replicaUpstream) story(k, i int) (title, text string) {
	seed := uint64(k)<<32 | uint64(i)
	if i%3 == 0 {
		seed = 1<<63 | uint64(k%wireGroups)<<32 | uint64(i)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	words := make([]string, 80)
	for j := range words {
		words[j] = replicaWords[rng.IntN(len(replicaWords))]
	}
	return strings.Join(words[:6], " "), strings.Join(words, " ")
}

var replicaWords = strings.Fields(`council harbour minister storm railway budget election court festival
	river hospital school bridge market museum airport strike vote mayor police village farmers
	energy prices winter summer report inquiry station coast mountain forest library theatre
	league final season record crowd rescue flood drought harvest union teachers nurses doctors
	company profits shares bank loan housing rent tenants landlord planning permit road tunnel`)

// requests returns a copy of the log.
func (u *replicaUpstream) requests() []upstreamRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]upstreamRequest(nil), u.log...)
}

// inFlight counts the requests from agent being answered now.
func (u *replicaUpstream) inFlight(agent string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, r := range u.log {
		if r.End.IsZero() && r.Agent == agent {
			n++
		}
	}
	return n
}
