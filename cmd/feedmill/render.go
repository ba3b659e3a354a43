package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/feedmill/feedmill/feedserver"
)

// cmdRender writes the site as static files mirroring the HTTP paths, for
// users who publish with cron and a static web server.
func cmdRender(ctx context.Context, env *cmdEnv, args []string) error {
	out := env.flags.String("out", "", "folder to write the site into (created if needed)")
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) > 0 {
		return usagef("want --out DIR and nothing else")
	}
	if d := dialDaemon(cfg); d != nil {
		return fmt.Errorf("a daemon holds the store (%s): it serves the same pages at %s; stop it to render", d.sock, cfg.BaseURL)
	}
	st, log, err := openReadStore(ctx, cfg, env)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := cfg.feedserverOptions()
	opts.Logger = log
	srv, err := feedserver.New(st, opts)
	if err != nil {
		return &configError{msg: err.Error()}
	}
	n, err := writeSite(srv, cfg, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %d files to %s\n", n, *out)
	return nil
}

// writeSite writes index.html, opml.xml and channels/{name}.{rss,atom,json}. Each
// file is written to a temporary name and renamed, so a web server never
// serves a half-written file.
func writeSite(srv *feedserver.Server, cfg *Config, dir string) (int, error) {
	if err := os.MkdirAll(filepath.Join(dir, "channels"), 0o755); err != nil {
		return 0, err
	}
	n := 0
	for name, page := range map[string]func() ([]byte, error){"index.html": srv.Index, "opml.xml": srv.OPML} {
		data, err := page()
		if err != nil {
			return n, fmt.Errorf("%s: %w", name, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return n, err
		}
		n++
	}
	for _, ch := range cfg.Channels {
		for _, format := range feedserver.Formats {
			data, err := srv.Render(ch.Name, format)
			if err != nil {
				return n, fmt.Errorf("channel %s.%s: %w", ch.Name, format, err)
			}
			if err := writeFileAtomic(filepath.Join(dir, "channels", ch.Name+"."+format), data); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
