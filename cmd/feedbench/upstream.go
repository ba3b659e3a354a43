package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// upstreamConfig is what `feedbench upstream` serves: Sources feeds spread
// over Hosts loopback addresses (127.P.x.y, all on one port), source i on
// host i mod Hosts at /feed/i.xml.
type upstreamConfig struct {
	Prefix    int // second octet of the addresses
	Hosts     int
	Sources   int
	Items     int
	NewPerGen int
	ItemBytes int
	Base      int64 // unix seconds of item 0
	Corpus    string
}

func (u upstreamConfig) args() []string {
	return []string{
		"-prefix", strconv.Itoa(u.Prefix), "-hosts", strconv.Itoa(u.Hosts),
		"-sources", strconv.Itoa(u.Sources), "-items", strconv.Itoa(u.Items),
		"-new", strconv.Itoa(u.NewPerGen), "-size", strconv.Itoa(u.ItemBytes),
		"-base", strconv.FormatInt(u.Base, 10), "-corpus", u.Corpus,
	}
}

// hostAddr is the loopback address of host h: 127.prefix.(h/250).(h%250+1).
func hostAddr(prefix, h int) string {
	return fmt.Sprintf("127.%d.%d.%d", prefix, h/250, h%250+1)
}

// sourceURL is where source i of an upstream listening on port is served.
func (u upstreamConfig) sourceURL(port, i int) string {
	return fmt.Sprintf("http://%s:%d/feed/%d.xml", hostAddr(u.Prefix, i%u.Hosts), port, i)
}

// runUpstream is the `feedbench upstream` child: it listens on every
// host, prints {"port":N} on stdout when all listen, and serves until
// stdin closes (so it never outlives the harness).
func runUpstream(args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ContinueOnError)
	var u upstreamConfig
	fs.IntVar(&u.Prefix, "prefix", 20, "second octet of the loopback addresses")
	fs.IntVar(&u.Hosts, "hosts", 100, "loopback addresses to listen on")
	fs.IntVar(&u.Sources, "sources", 1000, "feeds")
	fs.IntVar(&u.Items, "items", 50, "items per feed")
	fs.IntVar(&u.NewPerGen, "new", 20, "new items per generation")
	fs.IntVar(&u.ItemBytes, "size", 2000, "bytes of content per item")
	fs.Int64Var(&u.Base, "base", time.Now().Unix(), "unix time of item 0")
	fs.StringVar(&u.Corpus, "corpus", "", "RSS capture the text comes from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadCorpus(u.Corpus)
	if err != nil {
		return err
	}
	var gen atomic.Int64
	lastMod := func(g int64) string {
		return time.Unix(u.Base, 0).Add(time.Duration(g) * time.Hour).UTC().Format(http.TimeFormat)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_bench/next" && r.Method == http.MethodPost {
			fmt.Fprintln(w, gen.Add(1))
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/feed/")
		name, ok2 := strings.CutSuffix(name, ".xml")
		i, err := strconv.Atoi(name)
		if !ok || !ok2 || err != nil || i < 0 || i >= u.Sources {
			http.NotFound(w, r)
			return
		}
		g := gen.Load()
		etag := fmt.Sprintf(`"s%d-g%d"`, i, g)
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod(g))
		w.Header().Set("Cache-Control", "max-age=60")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := c.feed(feedSpec{Source: i, Gen: int(g), Items: u.Items, NewPerGen: u.NewPerGen,
			ItemBytes: u.ItemBytes, Base: time.Unix(u.Base, 0), Host: r.Host})
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	var lns []net.Listener
	port := 0
	for host := range u.Hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(hostAddr(u.Prefix, host), strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("upstream listen: %w", err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		lns = append(lns, ln)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]int{"port": port})
	io.Copy(io.Discard, os.Stdin) // until the harness closes our stdin or dies
	return srv.Close()
}

// upstream is a running `feedbench upstream` child.
type upstream struct {
	cfg   upstreamConfig
	port  int
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startUpstream starts the child and waits until it listens.
func startUpstream(ctx context.Context, self string, cfg upstreamConfig) (*upstream, error) {
	cmd := exec.CommandContext(ctx, self, append([]string{"upstream"}, cfg.args()...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start upstream: %w", err)
	}
	u := &upstream{cfg: cfg, cmd: cmd, stdin: stdin}
	var hello struct{ Port int }
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &hello)
	}
	if err != nil || hello.Port == 0 {
		u.stop()
		return nil, fmt.Errorf("upstream did not start: %v (%q)", err, line)
	}
	u.port = hello.Port
	return u, nil
}

// urls lists every source URL.
func (u *upstream) urls() []string {
	out := make([]string, u.cfg.Sources)
	for i := range out {
		out[i] = u.cfg.sourceURL(u.port, i)
	}
	return out
}

// next moves every feed to its next generation (NewPerGen new items).
func (u *upstream) next() error {
	resp, err := http.Post(fmt.Sprintf("http://%s:%d/_bench/next", hostAddr(u.cfg.Prefix, 0), u.port), "text/plain", nil)
	if err != nil {
		return fmt.Errorf("upstream next generation: %w", err)
	}
	resp.Body.Close()
	return nil
}

func (u *upstream) stop() {
	u.stdin.Close()
	done := make(chan struct{})
	go func() { u.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		u.cmd.Process.Kill()
		<-done
	}
}
