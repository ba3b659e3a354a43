package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// maxSocketPath is the longest path a unix socket can be bound to on
// Linux: sun_path holds 108 bytes, the last a NUL.
const maxSocketPath = 107

// controlSocket is where a daemon listens for the CLI and how that path
// was chosen, for the start-up log.
type controlSocket struct {
	Path string
	// Why is "config" (control_socket: set), "store" (beside the store)
	// or "runtime" (the path beside the store is too long for a unix
	// socket; a short one under the runtime directory stands in).
	Why string
}

// socketPath is where a running daemon listens for the CLI. The daemon
// and the clients compute it by the same rule, from the config alone:
//
//  1. control_socket: when set;
//  2. else the store's path + ".sock" (absolute), when it fits in a unix
//     socket address;
//  3. else runtimeDir()/feedmill-HASH.sock, HASH being the first 16 hex
//     digits of the SHA-256 of the store's absolute path, or of its
//     postgres:// URL (which has no path for a socket beside it).
func socketPath(cfg *Config) controlSocket {
	if cfg.ControlSocket != "" {
		return controlSocket{Path: cfg.ControlSocket, Why: "config"}
	}
	db := cfg.DB
	if !isPostgresDSN(db) {
		if abs, err := filepath.Abs(db); err == nil {
			db = abs
		}
		if p := db + ".sock"; len(p) <= maxSocketPath {
			return controlSocket{Path: p, Why: "store"}
		}
	}
	sum := sha256.Sum256([]byte(db))
	name := "feedmill-" + hex.EncodeToString(sum[:8]) + ".sock"
	return controlSocket{Path: filepath.Join(runtimeDir(), name), Why: "runtime"}
}

// runtimeDir is the folder of the short socket paths: $XDG_RUNTIME_DIR
// when set, else os.TempDir()/feedmill-UID.
func runtimeDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(os.TempDir(), "feedmill-"+strconv.Itoa(os.Getuid()))
}

// prepareSocketDir makes sure the folder of a fallback socket path exists
// and is the user's own: created with mode 0700 when missing, refused when
// another user owns it or others may write in it (someone could otherwise
// place their own socket there). $XDG_RUNTIME_DIR is taken as it is.
func prepareSocketDir(sock controlSocket) error {
	if sock.Why != "runtime" {
		return nil
	}
	dir := filepath.Dir(sock.Path)
	if os.Getenv("XDG_RUNTIME_DIR") == dir {
		return nil
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("cannot create the control socket's folder %s: %w; set `control_socket:` to a writable path", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("control socket folder: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("control socket folder %s is not a folder; remove it or set `control_socket:`", dir)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("control socket folder %s belongs to user %d, not to us; remove it or set `control_socket:`", dir, st.Uid)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("control socket folder %s is open to other users (mode %04o); chmod 700 it or set `control_socket:`", dir, fi.Mode().Perm())
	}
	return nil
}
