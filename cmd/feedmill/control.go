package main

// The control socket: bbolt locks the store exclusively, even for readers,
// so while `feedmill serve` runs, the one-shot commands (fetch, backup,
// sources) ask the daemon to do their work. The daemon listens on a unix
// socket (mode 0600: only the store's owner can connect, so no token is
// needed; where it is: socketpath.go) and speaks JSON over HTTP.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/feedserver"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/storage"
)

// fetchRequest asks for one pass (POST /v1/fetch).
type fetchRequest struct {
	All  bool     `json:"all"`
	URLs []string `json:"urls,omitempty"`
}

// fetchLine is one line of the pass's NDJSON answer: a result per source as
// it finishes, then the report (or an error).
type fetchLine struct {
	Total  *int            `json:"total,omitempty"` // first line: sources in the pass
	Result *fetcher.Result `json:"result,omitempty"`
	Report *fetcher.Report `json:"report,omitempty"`
	Error  string          `json:"error,omitempty"`
}

type backupRequest struct {
	Path string `json:"path"`
}

type sourceRequest struct {
	URL  string   `json:"url"`
	Tags []string `json:"tags,omitempty"`
}

// controlServer serves the control socket of a running daemon.
type controlServer struct {
	store   storage.Store
	fetcher *fetcher.Fetcher
	log     *slog.Logger
	// publisher is the daemon's current feedserver (explain.go).
	publisher func() *feedserver.Server
}

func (c *controlServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/fetch", c.fetch)
	mux.HandleFunc("POST /v1/backup", c.backup)
	mux.HandleFunc("GET /v1/sources", c.listSources)
	mux.HandleFunc("GET /v1/websub", c.listSubscriptions)
	mux.HandleFunc("POST /v1/sources", c.addSource)
	mux.HandleFunc("DELETE /v1/sources", c.removeSource)
	mux.HandleFunc("GET /v1/explain", c.explain) // explain.go
	mux.HandleFunc("POST /v1/import", c.importOPML)
	return mux
}

// listenControl opens the daemon's socket. A socket file left by a daemon
// that died is removed; one a live daemon answers on is an error, and so
// is a file there that is not a socket. Errors say what to change.
func listenControl(sock controlSocket) (net.Listener, error) {
	path := sock.Path
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control socket path %s is %d bytes, longer than the %d a unix socket allows; set `control_socket:` to a shorter path",
			path, len(path), maxSocketPath)
	}
	if err := prepareSocketDir(sock); err != nil {
		return nil, err
	}
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return nil, fmt.Errorf("another feedmill daemon answers on %s", path)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s is in the control socket's place and is not a socket; move it away or set `control_socket:`", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("cannot remove the stale control socket %s: %w; remove it or set `control_socket:` to a writable path",
				path, unwrapErrno(err))
		}
	}
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, socketCreateError(path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return ln, nil
}

// socketCreateError says why the socket could not be created at path, and
// what to do, for the errors an operator can fix.
func socketCreateError(path string, err error) error {
	dir := filepath.Dir(path)
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EROFS, syscall.EACCES, syscall.EPERM, syscall.ENOSPC, syscall.EDQUOT:
			return fmt.Errorf("cannot create control socket in %s: %v; set `control_socket:` to a writable path", dir, errno)
		case syscall.ENOENT, syscall.ENOTDIR:
			return fmt.Errorf("cannot create control socket in %s: no such folder; create it or set `control_socket:`", dir)
		}
	}
	return fmt.Errorf("control socket %s: %w", path, err)
}

// unwrapErrno is err's system error alone (without the path and the
// operation, which the caller names), or err.
func unwrapErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

func (c *controlServer) fetch(w http.ResponseWriter, r *http.Request) {
	var req fetchRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	send := func(l fetchLine) {
		_ = enc.Encode(l)
		if flusher != nil {
			flusher.Flush()
		}
	}
	lines := make(chan fetchLine, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for l := range lines {
			send(l)
		}
	}()
	rep, err := c.fetcher.Pass(r.Context(), fetcher.PassOptions{
		All: req.All, URLs: req.URLs,
		OnStart:  func(n int) { lines <- fetchLine{Total: &n} },
		OnResult: func(res fetcher.Result) { lines <- fetchLine{Result: &res} },
	})
	if err != nil {
		lines <- fetchLine{Error: err.Error()}
	} else {
		rep.Results = nil // already streamed
		lines <- fetchLine{Report: &rep}
	}
	close(lines)
	<-done
}

func (c *controlServer) backup(w http.ResponseWriter, r *http.Request) {
	var req backupRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || !filepath.IsAbs(req.Path) {
		http.Error(w, "bad request: want {\"path\": absolute path}", http.StatusBadRequest)
		return
	}
	n, err := writeBackup(c.store, req.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]int64{"bytes": n})
}

func (c *controlServer) listSources(w http.ResponseWriter, _ *http.Request) {
	srcs, err := c.store.Sources()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, srcs)
}

// listSubscriptions answers the WebSub subscriptions by source ID
// (without their secrets).
func (c *controlServer) listSubscriptions(w http.ResponseWriter, _ *http.Request) {
	subs, err := c.store.Subscriptions()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, subs)
}

func (c *controlServer) addSource(w http.ResponseWriter, r *http.Request) {
	var req sourceRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	src, err := addSource(r.Context(), c.store, req.URL, req.Tags)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.fetcher.Reschedule()
	writeJSON(w, src)
}

func (c *controlServer) removeSource(w http.ResponseWriter, r *http.Request) {
	var req sourceRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := removeSource(r.Context(), c.store, req.URL); err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, storage.ErrNotFound) {
			code = http.StatusNotFound
		}
		http.Error(w, err.Error(), code)
		return
	}
	c.fetcher.Reschedule()
	writeJSON(w, map[string]string{"removed": req.URL})
}

// importOPML adds the feeds of an OPML file the CLI parsed (opml.go).
func (c *controlServer) importOPML(w http.ResponseWriter, r *http.Request) {
	var feeds []importFeed
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&feeds); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	res, err := importSources(r.Context(), c.store, feeds)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.fetcher.Reschedule()
	writeJSON(w, res)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// daemonClient talks to a running daemon's control socket.
type daemonClient struct {
	http *http.Client
	sock string
}

// dialDaemon returns a client when a daemon answers on the store's socket,
// else nil.
func dialDaemon(cfg *Config) *daemonClient {
	sock := socketPath(cfg).Path
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return nil
	}
	conn.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	return &daemonClient{http: &http.Client{Transport: tr}, sock: sock}
}

// call sends a JSON request and returns the response (status checked).
func (d *daemonClient) call(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://feedmill"+path, &buf)
	if err != nil {
		return nil, err
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("daemon at %s: %w", d.sock, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		err := fmt.Errorf("daemon: %s", bytes.TrimSpace(msg))
		if resp.StatusCode == http.StatusNotFound {
			err = fmt.Errorf("%w: %w", err, storage.ErrNotFound)
		}
		return nil, err
	}
	return resp, nil
}

// callJSON sends a request and decodes the JSON answer into out.
func (d *daemonClient) callJSON(ctx context.Context, method, path string, body, out any) error {
	resp, err := d.call(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

// pass asks the daemon for a pass, calling onResult for each source as the
// daemon streams it.
func (d *daemonClient) pass(ctx context.Context, req fetchRequest, onStart func(int), onResult func(fetcher.Result)) (fetcher.Report, error) {
	resp, err := d.call(ctx, http.MethodPost, "/v1/fetch", req)
	if err != nil {
		return fetcher.Report{}, err
	}
	defer resp.Body.Close()
	var rep fetcher.Report
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var l fetchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return rep, fmt.Errorf("daemon answered %q: %w", sc.Text(), err)
		}
		switch {
		case l.Total != nil:
			if onStart != nil {
				onStart(*l.Total)
			}
		case l.Result != nil:
			rep.Results = append(rep.Results, *l.Result)
			if onResult != nil {
				onResult(*l.Result)
			}
		case l.Report != nil:
			rep.Failed, rep.Duration = l.Report.Failed, l.Report.Duration
			return rep, nil
		case l.Error != "":
			return rep, fmt.Errorf("daemon: %s", l.Error)
		}
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("daemon: %w", err)
	}
	return rep, errors.New("daemon closed the connection before the pass ended")
}
