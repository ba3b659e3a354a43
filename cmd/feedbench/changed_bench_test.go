package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
)

// BenchmarkChangedPass compares the CPU of a pass where 40 % of the items
// are new with the CPU of the pass that filled the store: 64 feeds of 50
// items on 16 loopback hosts; the fill stores generation 0 (every item
// new), the changed pass generation 1 (20 new items per feed, 30 the feed
// carried before, unchanged). Known items only cost the lookup of their
// raw hash, so the changed pass should cost about the share of new items
// (target: ≤ 50 % of the fill); a third pass fetches the same documents
// again (every item known, as from a server without conditional GET).
// Sub-benchmarks "cut" and "whole" run with and without fetcher/knowncut.
// One op is one fill, one changed pass and one known pass on a fresh
// store; the CPU is the whole process's (user+system), the
// in-process HTTP servers included.
//
//	go test -run '^$' -bench ChangedPass -benchtime 3x ./cmd/feedbench/
func BenchmarkChangedPass(b *testing.B) {
	for _, size := range []int{2000, 18000} {
		for _, cut := range []bool{true, false} {
			name := strconv.Itoa(size/1000) + "KB/cut"
			if !cut {
				name = strconv.Itoa(size/1000) + "KB/whole"
			}
			b.Run(name, func(b *testing.B) { benchChangedPass(b, size, !cut) })
		}
	}
}

func benchChangedPass(b *testing.B, itemBytes int, noKnownCut bool) {
	const sources, hosts, items, newPerGen = 64, 16, 50, 20
	c, err := loadCorpus(guardianCapture)
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Hour)
	gens := make([][][]byte, 2)
	for g := range gens {
		for i := range sources {
			gens[g] = append(gens[g], c.feed(feedSpec{Source: i, Gen: g, Items: items, NewPerGen: newPerGen,
				ItemBytes: itemBytes, Base: base, Host: "changed.example"}))
		}
	}
	var gen atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/feed/"), ".xml"))
		if err != nil || i < 0 || i >= sources {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(gens[gen.Load()][i])
	})
	urls := serveOnHosts(b, h, 31, hosts, sources)

	var fillCPU, changedCPU, knownCPU time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		st, err := bolt.Open(filepath.Join(b.TempDir(), "feedmill.db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range urls {
			if _, err := st.UpsertSource(context.Background(), storage.Source{URL: u, Origin: storage.OriginCLI}); err != nil {
				b.Fatal(err)
			}
		}
		f := fetcher.New(st, fetcher.Options{AllowPrivate: true, Timeout: time.Minute, HostInterval: -1, PerHost: 4, NoKnownCut: noKnownCut})
		b.StartTimer()
		for pass, want := range []int{items, newPerGen, 0} {
			g := min(pass, 1)
			gen.Store(int64(g))
			c0 := processCPU()
			// Labelled, so that a CPU profile splits by pass
			// (go tool pprof -tagfocus pass=changed).
			var rep fetcher.Report
			pprof.Do(context.Background(), pprof.Labels("pass", []string{"fill", "changed", "known"}[pass]), func(ctx context.Context) {
				rep, err = f.Pass(ctx, fetcher.PassOptions{All: true})
			})
			cpu := processCPU() - c0
			if err != nil || rep.Failed > 0 {
				b.Fatalf("pass %d: %v, %d failed", pass, err, rep.Failed)
			}
			for _, r := range rep.Results {
				if r.Added != want {
					b.Fatalf("pass %d, %s: added %d, want %d", pass, r.URL, r.Added, want)
				}
			}
			switch pass {
			case 0:
				fillCPU += cpu
			case 1:
				changedCPU += cpu
			default:
				knownCPU += cpu
			}
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.StopTimer()
	nops := float64(b.N)
	b.ReportMetric(fillCPU.Seconds()*1000/nops, "fill-cpu-ms")
	b.ReportMetric(changedCPU.Seconds()*1000/nops, "changed-cpu-ms")
	b.ReportMetric(changedCPU.Seconds()/fillCPU.Seconds(), "changed/fill")
	b.ReportMetric(knownCPU.Seconds()*1000/nops, "known-cpu-ms")
	b.ReportMetric(knownCPU.Seconds()/fillCPU.Seconds(), "known/fill")
}

// serveOnHosts serves h on hosts loopback addresses 127.prefix.x.y (see
// hostAddr) until the benchmark ends, and returns the URLs of sources
// feeds /feed/N.xml spread over them: feed i on host i%hosts.
func serveOnHosts(b *testing.B, h http.Handler, prefix, hosts, sources int) []string {
	b.Helper()
	urls := make([]string, sources)
	for host := range hosts {
		ln, err := net.Listen("tcp", hostAddr(prefix, host)+":0")
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(h)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		b.Cleanup(srv.Close)
		for i := host; i < sources; i += hosts {
			urls[i] = fmt.Sprintf("%s/feed/%d.xml", srv.URL, i)
		}
	}
	return urls
}
