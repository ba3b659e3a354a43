package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/adhocore/gronx"

	"github.com/feedmill/feedmill/feedserver"
)

// checkCron validates a cron expression (5 fields, or a @macro).
func checkCron(expr string) error {
	if !gronx.IsValid(expr) {
		return fmt.Errorf("bad cron expression %q (want 5 fields, e.g. \"*/15 6-22 * * *\")", expr)
	}
	return nil
}

// cmdCheck validates the config, including what only the rooms can check
// (channel filters), and prints what feedmill would do with it.
func cmdCheck(_ context.Context, env *cmdEnv, args []string) error {
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("check takes no arguments")
	}
	if _, err := feedserver.New(nil, cfg.feedserverOptions()); err != nil {
		return &configError{msg: configName(cfg) + ": " + err.Error()}
	}
	w := env.stdout
	fmt.Fprintf(w, "config:   %s\n", configName(cfg))
	fmt.Fprintf(w, "store:    %s (control socket %s)\n", displayDB(cfg.DB), socketPath(cfg).Path)
	fmt.Fprintf(w, "serve:    http://%s, published as %s\n", cfg.Listen, cfg.BaseURL)
	if cfg.AdminToken != "" {
		fmt.Fprintln(w, "admin:    API on /api/ (Bearer token set)")
	} else {
		fmt.Fprintln(w, "admin:    API off (no admin_token)")
	}
	f := cfg.Fetch
	sched := fmt.Sprintf("every %s (adaptive %s..%s)", f.Every, f.MinInterval, f.MaxInterval)
	if f.Cron != "" {
		sched = "passes at cron " + f.Cron
	}
	fmt.Fprintf(w, "fetch:    %s, %d workers, %d per host, timeout %s, max body %d bytes\n",
		sched, f.Workers, f.PerHost, f.Timeout, f.MaxBody)
	if f.AllowPrivate {
		fmt.Fprintln(w, "          private and loopback addresses allowed")
	}
	if p := mustProxy(f.Proxy); p != nil {
		fmt.Fprintf(w, "          through proxy %s\n", redactProxy(p))
	}
	if cfg.WebSub.Subscribe {
		fmt.Fprintf(w, "websub:   subscribes sources to the hubs they announce; callbacks under %s/websub/\n", cfg.BaseURL)
	}
	fmt.Fprintf(w, "keep:     items up to %s old, at most %d per source\n", cfg.Retention.MaxAge, cfg.Retention.MaxItemsPerSource)
	fmt.Fprintf(w, "sources:  %d in the config\n", len(cfg.Sources))
	for _, s := range cfg.Sources {
		when := "every " + f.Every.String()
		switch {
		case s.Cron != "":
			when = "cron " + s.Cron
		case s.Every != 0:
			when = "every " + s.Every.String()
		}
		fmt.Fprintf(w, "  %s [%s] %s\n", s.URL, strings.Join(s.Tags, ","), when)
		if req := requestSummary(s); req != "" {
			fmt.Fprintf(w, "    request: %s\n", req)
		}
	}
	fmt.Fprintf(w, "channels: %d\n", len(cfg.Channels))
	for _, ch := range cfg.Channels {
		var sel []string
		if len(ch.Tags) > 0 {
			sel = append(sel, "tags "+strings.Join(ch.Tags, ","))
		}
		if len(ch.Sources) > 0 {
			sel = append(sel, fmt.Sprintf("%d source URLs", len(ch.Sources)))
		}
		if len(sel) == 0 {
			sel = append(sel, "all sources")
		}
		n := 0
		for _, s := range cfg.Sources {
			if channelSelects(ch, s) {
				n++
			}
		}
		fmt.Fprintf(w, "  %s: %s (%d of the config's sources)\n", ch.Name, strings.Join(sel, " + "), n)
		fmt.Fprintf(w, "    %s/channels/%s.rss .atom .json\n", cfg.BaseURL, ch.Name)
	}
	fmt.Fprintln(w, "config OK")
	return nil
}

func configName(cfg *Config) string {
	if cfg.File == "" {
		return "built-in defaults (no config file)"
	}
	return cfg.File
}

// channelSelects mirrors the channel selection rule for the check output:
// any of the tags, or one of the URLs; neither = all.
func channelSelects(ch ChannelConfig, s SourceConfig) bool {
	if len(ch.Tags) == 0 && len(ch.Sources) == 0 {
		return true
	}
	for _, u := range ch.Sources {
		if u == s.URL {
			return true
		}
	}
	for _, t := range s.Tags {
		for _, want := range ch.Tags {
			if t == want {
				return true
			}
		}
	}
	return false
}
