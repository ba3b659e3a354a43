package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/internal/testfs"
)

// longDir is a fresh folder whose store path (dir/store.db.sock) is too
// long for a unix socket.
func longDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), strings.Repeat("long-folder-name-", 7))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if n := len(filepath.Join(dir, "store.db.sock")); n <= maxSocketPath {
		t.Fatalf("test folder too short: %d bytes", n)
	}
	return dir
}

func TestSocketPathRule(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	short := filepath.Join(t.TempDir(), "store.db")
	if got := socketPath(&Config{DB: short}); got.Path != short+".sock" || got.Why != "store" {
		t.Errorf("short store path: socket %+v, want beside the store", got)
	}

	long := filepath.Join(longDir(t), "store.db")
	got := socketPath(&Config{DB: long})
	if got.Why != "runtime" || filepath.Dir(got.Path) != runtime || len(got.Path) > maxSocketPath ||
		!strings.HasPrefix(filepath.Base(got.Path), "feedmill-") {
		t.Errorf("long store path: socket %+v, want a short path in %s", got, runtime)
	}
	// The same store named relative to another working folder: same socket.
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if err := os.Chdir(filepath.Dir(long)); err != nil {
		t.Fatal(err)
	}
	if rel := socketPath(&Config{DB: "store.db"}); rel != got {
		t.Errorf("relative store path: socket %+v, want %+v", rel, got)
	}
	other := socketPath(&Config{DB: long + "2"})
	if other.Path == got.Path {
		t.Errorf("two stores share the socket %s", got.Path)
	}

	// Without $XDG_RUNTIME_DIR: a folder of the user's own in the temp dir.
	t.Setenv("XDG_RUNTIME_DIR", "")
	noXDG := socketPath(&Config{DB: long})
	if want := filepath.Join(os.TempDir(), "feedmill-"+strconv.Itoa(os.Getuid())); filepath.Dir(noXDG.Path) != want {
		t.Errorf("without XDG_RUNTIME_DIR: socket %s, want in %s", noXDG.Path, want)
	}

	if cfgd := socketPath(&Config{DB: long, ControlSocket: "/run/x.sock"}); cfgd.Path != "/run/x.sock" || cfgd.Why != "config" {
		t.Errorf("control_socket set: %+v", cfgd)
	}
}

func TestControlSocketConfigKey(t *testing.T) {
	path := writeConfig(t, "db: store.db\nlisten: 127.0.0.1:0\ncontrol_socket: run/ctl.sock\n")
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "run/ctl.sock"); cfg.ControlSocket != want || socketPath(cfg).Path != want {
		t.Errorf("control_socket = %q, socket %q, want %q (relative to the config file)", cfg.ControlSocket, socketPath(cfg).Path, want)
	}

	tooLong := "/" + strings.Repeat("x", maxSocketPath) + ".sock"
	_, err = loadConfig(writeConfig(t, "control_socket: "+tooLong+"\n"))
	if err == nil || !strings.Contains(err.Error(), "control_socket (line 1):") || !strings.Contains(err.Error(), "longer than the 107") {
		t.Errorf("too long control_socket: err = %v", err)
	}

	// The daemon listens there, and a client finds it there.
	os.Mkdir(filepath.Join(filepath.Dir(path), "run"), 0o700)
	d := startTestDaemon(t, path)
	if d.sock.Path != cfg.ControlSocket {
		t.Errorf("daemon listens on %s, want %s", d.sock.Path, cfg.ControlSocket)
	}
	if _, err := os.Stat(cfg.DB + ".sock"); err == nil {
		t.Errorf("a socket beside the store too")
	}
	if dialDaemon(cfg) == nil {
		t.Errorf("no daemon answers on %s", cfg.ControlSocket)
	}
}

// TestLongStorePathServeAndFetch: a store path too long for a socket beside
// it; the daemon listens under the runtime directory and `fetch`, `sources`
// and `backup` reach it there.
func TestLongStorePathServeAndFetch(t *testing.T) {
	for _, xdg := range []string{"set", "unset"} {
		t.Run("XDG_RUNTIME_DIR "+xdg, func(t *testing.T) {
			if xdg == "set" {
				t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
			} else {
				t.Setenv("XDG_RUNTIME_DIR", "")
			}
			up := startUpstream(t)
			dir := longDir(t)
			cfgPath := filepath.Join(dir, "feedmill.yaml")
			cfg := "db: store.db\nlisten: 127.0.0.1:0\nfetch:\n  allow_private: true\nsources:\n  - url: " + up.URL + "/guardian.rss\n"
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			d := startTestDaemon(t, cfgPath)
			if d.sock.Why != "runtime" || len(d.sock.Path) > maxSocketPath {
				t.Fatalf("daemon socket %+v, want a short one under the runtime directory", d.sock)
			}
			// The store is locked by the daemon: these work only through it.
			if code, out, errOut := runCLI(t, "fetch", "-c", cfgPath); code != exitOK || !strings.Contains(out, "0 failed") {
				t.Fatalf("fetch beside the daemon: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := runCLI(t, "sources", "list", "-c", cfgPath); code != exitOK || !strings.Contains(out, "guardian.rss") {
				t.Fatalf("sources list beside the daemon: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := runCLI(t, "backup", "-c", cfgPath, filepath.Join(t.TempDir(), "copy.db")); code != exitOK {
				t.Fatalf("backup beside the daemon: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

func TestControlSocketReadOnlyFolder(t *testing.T) {
	ro := testfs.Tmpfs(t, "1m")
	testfs.RemountReadOnly(t, ro)
	sock := filepath.Join(ro, "feedmill.sock")
	want := "cannot create control socket in " + ro + ": read-only file system; set `control_socket:` to a writable path"

	_, err := listenControl(controlSocket{Path: sock, Why: "store"})
	if err == nil || err.Error() != want {
		t.Errorf("listen in a read-only folder: err = %v\nwant %s", err, want)
	}

	// serve says the same, and nothing about a stale socket.
	cfgPath := writeConfig(t, "db: store.db\nlisten: 127.0.0.1:0\ncontrol_socket: "+sock+"\n")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	d, err := startDaemon(context.Background(), cfg, newLogger(cfg, io.Discard))
	if err == nil {
		d.stop()
		t.Fatal("serve started with its control socket in a read-only folder")
	}
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "stale") {
		t.Errorf("serve: err = %v\nwant %s", err, want)
	}
}

func TestListenControlStaleAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	sock := controlSocket{Path: filepath.Join(dir, "s.sock"), Why: "store"}

	// A socket left by a daemon that died is replaced.
	stale, err := net.Listen("unix", sock.Path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	ln, err := listenControl(sock)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	// One a live daemon answers on is refused.
	if _, err := listenControl(sock); err == nil || !strings.Contains(err.Error(), "another feedmill daemon answers on") {
		t.Errorf("over a live socket: err = %v", err)
	}
	ln.Close()

	// A file that is not a socket is left alone.
	plain := controlSocket{Path: filepath.Join(dir, "plain"), Why: "store"}
	os.WriteFile(plain.Path, []byte("keep me"), 0o600)
	if _, err := listenControl(plain); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("over a plain file: err = %v", err)
	}
	if b, _ := os.ReadFile(plain.Path); string(b) != "keep me" {
		t.Errorf("the plain file was changed: %q", b)
	}

	// A folder that does not exist.
	gone := controlSocket{Path: filepath.Join(dir, "nosuch", "s.sock"), Why: "config"}
	if _, err := listenControl(gone); err == nil || !strings.Contains(err.Error(), "no such folder") {
		t.Errorf("in a missing folder: err = %v", err)
	}
}

func TestRuntimeFolderOfAnotherUserRefused(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", t.TempDir())
	sock := socketPath(&Config{DB: filepath.Join(longDir(t), "store.db")})
	dir := filepath.Dir(sock.Path)
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	if _, err := listenControl(sock); err == nil || !strings.Contains(err.Error(), "open to other users") {
		t.Errorf("world-writable runtime folder: err = %v", err)
	}
	os.Chmod(dir, 0o700)
	ln, err := listenControl(sock)
	if err != nil {
		t.Fatalf("own runtime folder: %v", err)
	}
	ln.Close()
}
