package fetcher

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedmill/feedmill/storage/bolt"

	"github.com/feedmill/feedmill/storage"
)

// BenchmarkFullTextPass200 is one pass over 20 teaser feeds on 20 hosts
// (loopback addresses 127.31.0.1-20), 10 new items each, with full_text:
// always and the default per-host limits: the time until every page is
// stored, the most requests one host saw at once (never above per_host),
// and the process's RssAnon after it.
func BenchmarkFullTextPass200(b *testing.B) {
	arts := loadTestArticles(b, 10)
	const hosts, perHost = 20, 2
	var mu sync.Mutex
	inflight, most := map[string]int{}, 0
	var servers []*httptest.Server
	for h := range hosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.31.0.%d:0", h+1))
		if err != nil {
			b.Skipf("loopback address: %v", err)
		}
		srv := httptest.NewUnstartedServer(nil)
		srv.Listener = ln
		base := "http://" + ln.Addr().String()
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inflight[base]++
			most = max(most, inflight[base])
			mu.Unlock()
			defer func() { mu.Lock(); inflight[base]--; mu.Unlock() }()
			switch {
			case r.URL.Path == "/feed.xml":
				var sb strings.Builder
				sb.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>`)
				for i := range 10 {
					fmt.Fprintf(&sb, "<item><title>S%d</title><link>%s/a/%d</link><description>%s</description></item>",
						i, base, i, html.EscapeString(arts[i].teaser))
				}
				sb.WriteString("</channel></rss>")
				w.Write([]byte(sb.String()))
			case strings.HasPrefix(r.URL.Path, "/a/"):
				i, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/a/"))
				w.Header().Set("Content-Type", "text/html")
				w.Write(arts[i%len(arts)].page)
			default:
				http.NotFound(w, r)
			}
		})
		srv.Start()
		servers = append(servers, srv)
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	for range b.N {
		st, err := bolt.Open(filepath.Join(b.TempDir(), "feedmill.db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		f := New(st, Options{AllowPrivate: true, PerHost: perHost, FullText: FullTextOptions{Default: FullTextRule{Mode: FullTextAlways}}})
		for _, s := range servers {
			if _, err := st.UpsertSource(context.Background(), storage.Source{URL: s.URL + "/feed.xml", Origin: storage.OriginCLI}); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if _, err := f.Pass(context.Background(), PassOptions{All: true}); err != nil {
			b.Fatal(err)
		}
		if err := f.WaitPages(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/pass")
		st.Close()
	}
	if most > perHost {
		b.Errorf("a host saw %d requests at once, per_host %d", most, perHost)
	}
	b.ReportMetric(float64(most), "max-per-host")
	b.ReportMetric(rssAnonMiB(), "RssAnon-MiB")
}

// rssAnonMiB is the process's RssAnon in MiB (0 where /proc is not).
func rssAnonMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "RssAnon:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
