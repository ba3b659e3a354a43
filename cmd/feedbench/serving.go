package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// nginx is an nginx child serving one static file, started with its own
// minimal config as a foreground (non-daemon) process.
type nginx struct {
	*child
	url string
}

// startNginx serves body at /all.rss with the given Content-Type on a
// free loopback port, with as many workers as cores, no access log and
// keep-alive as long as wrk wants it.
func startNginx(ctx context.Context, dir string, body []byte, contentType string) (*nginx, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("nginx not installed (make bench installs nginx-light)")
		}
	}
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(www, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(www, "all.rss"), body, 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`worker_processes auto;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path %[1]s/tmp;
  types { }
  default_type "%[2]s";
  server {
    listen 127.0.0.1:%[3]d;
    root %[4]s;
  }
}
`, dir, contentType, port, www)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	c, err := startChild(ctx, bin, "-c", confPath, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	if err != nil {
		return nil, err
	}
	n := &nginx{child: c, url: fmt.Sprintf("http://127.0.0.1:%d/all.rss", port)}
	for range 200 {
		if got, _, err := getBody(n.url); err == nil && bytes.Equal(got, body) {
			return n, nil
		}
		if c.exited() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			return nil, fmt.Errorf("nginx exited: %s", tail(string(log), 1000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.stop()
	return nil, fmt.Errorf("nginx did not serve the file")
}

// stop ends nginx (SIGTERM: fast shutdown of master and workers).
func (n *nginx) stop() { n.child.stop(10 * time.Second) }

// getBody GETs url without Accept-Encoding (as wrk does) and returns the
// body and the response headers.
func getBody(url string) ([]byte, http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	// Go's transport would add Accept-Encoding: gzip by itself.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return body, resp.Header, err
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	ReqPerSec float64
	Requests  int
	Errors    int // socket errors and non-2xx/3xx answers
}

var (
	wrkRateRE   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTotalRE  = regexp.MustCompile(`(\d+) requests in`)
	wrkSockRE   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkStatusRE = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// parseWrk reads wrk's report.
func parseWrk(out string) (wrkResult, error) {
	m := wrkRateRE.FindStringSubmatch(out)
	if m == nil {
		return wrkResult{}, fmt.Errorf("no Requests/sec in wrk output: %.500q", out)
	}
	var r wrkResult
	r.ReqPerSec, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotalRE.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkSockRE.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.Errors += n
		}
	}
	if m := wrkStatusRE.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.Errors += n
	}
	return r, nil
}

// runWrk runs `wrk -t2 -c64 -dD [-H header] url`.
func runWrk(ctx context.Context, url string, d time.Duration, header string) (wrkResult, error) {
	args := []string{"-t2", "-c64", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if header != "" {
		args = append(args, "-H", header)
	}
	args = append(args, url)
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w: %s", url, err, tail(string(out), 500))
	}
	r, err := parseWrk(string(out))
	if err == nil && r.Errors > 0 {
		err = fmt.Errorf("wrk %s: %d errors or unexpected statuses: %s", url, r.Errors, tail(string(out), 500))
	}
	return r, err
}
