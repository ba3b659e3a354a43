// Command benchupstream serves many small RSS feeds on many loopback
// addresses for BenchmarkPassUnchanged10k, in a process of its own so that
// the benchmark measures only feedmill's CPU. Every feed answers 200 with
// ETag "v1" and 304 to If-None-Match: "v1".
//
// It listens on -hosts addresses 127.1.X.Y (ports chosen by the kernel),
// prints one "host:port" per line, then "ready", and serves until stdin
// closes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

const feed = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bench</title><link>https://example.org/</link>
<item><title>One</title><link>https://example.org/1</link><guid>1</guid><pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>
<item><title>Two</title><link>https://example.org/2</link><guid>2</guid><pubDate>Mon, 03 Mar 2025 11:00:00 GMT</pubDate></item>
</channel></rss>`

func main() {
	hosts := flag.Int("hosts", 100, "loopback addresses to listen on")
	flag.Parse()
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, feed)
	})
	out := bufio.NewWriter(os.Stdout)
	for i := range *hosts {
		ip := fmt.Sprintf("127.1.%d.%d", (i+1)/250, (i+1)%250+1)
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			log.Fatal(err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
		go srv.Serve(ln)
		fmt.Fprintln(out, ln.Addr().String())
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	io.Copy(io.Discard, os.Stdin) // until the benchmark closes our stdin
}
