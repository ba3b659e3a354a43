package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/feedmill/feedmill/storage"
)

// cmdSources lists, adds or removes sources in the store: through the
// daemon when one holds it, else directly. Sources added here live beside
// the config's; the config wins for a URL it lists.
func cmdSources(ctx context.Context, env *cmdEnv, args []string) error {
	var tags stringList
	env.flags.Var(&tags, "tag", "tag for the added source (repeatable)")
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want list, add URL or remove URL")
	}
	verb, rest := pos[0], pos[1:]
	switch {
	case verb == "list" && len(rest) == 0:
	case (verb == "add" || verb == "remove") && len(rest) == 1:
	default:
		return usagef("want list, add URL or remove URL")
	}

	if d := dialDaemon(cfg); d != nil {
		switch verb {
		case "list":
			var srcs []storage.Source
			if err := d.callJSON(ctx, "GET", "/v1/sources", nil, &srcs); err != nil {
				return err
			}
			var subs map[uint64]storage.Subscription
			if err := d.callJSON(ctx, "GET", "/v1/websub", nil, &subs); err != nil {
				return err
			}
			printSources(env, srcs, subs)
		case "add":
			var src storage.Source
			if err := d.callJSON(ctx, "POST", "/v1/sources", sourceRequest{URL: rest[0], Tags: tags}, &src); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "added %s\n", src.URL)
		case "remove":
			var out map[string]string
			if err := d.callJSON(ctx, "DELETE", "/v1/sources", sourceRequest{URL: rest[0]}, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "removed %s\n", rest[0])
		}
		return nil
	}

	open := openSyncedStore
	if verb == "list" {
		open = openReadStore
	}
	st, _, err := open(ctx, cfg, env)
	if err != nil {
		return err
	}
	defer st.Close()
	switch verb {
	case "list":
		srcs, err := st.Sources()
		if err != nil {
			return err
		}
		subs, err := st.Subscriptions()
		if err != nil {
			return err
		}
		printSources(env, srcs, subs)
	case "add":
		src, err := addSource(ctx, st, rest[0], tags)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "added %s\n", src.URL)
	case "remove":
		if err := removeSource(ctx, st, rest[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "removed %s\n", rest[0])
	}
	return nil
}

// addSource adds a source from the CLI or control socket. A URL the config
// already lists keeps the config's settings.
func addSource(ctx context.Context, st storage.Store, raw string, tags []string) (storage.Source, error) {
	return addSourceFrom(ctx, st, raw, tags, storage.OriginCLI)
}

// addSourceFrom adds a source with the given origin (cli, api, opml); the
// config wins for a URL it lists.
func addSourceFrom(ctx context.Context, st storage.Store, raw string, tags []string, origin string) (storage.Source, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return storage.Source{}, usagef("want an absolute http(s) URL, got %q", raw)
	}
	if have, err := st.SourceByURL(u.String()); err == nil {
		if have.Origin == storage.OriginConfig {
			return have, fmt.Errorf("%s is in the config file; change it there", have.URL)
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return storage.Source{}, err
	}
	return st.UpsertSource(ctx, storage.Source{URL: u.String(), Tags: tags, Origin: origin})
}

// removeSource removes a source that is not the config's.
func removeSource(ctx context.Context, st storage.Store, raw string) error {
	have, err := st.SourceByURL(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("source %s: %w", raw, err)
	}
	if have.Origin == storage.OriginConfig {
		return fmt.Errorf("%s is in the config file; remove it there", have.URL)
	}
	return st.RemoveSource(ctx, have.URL)
}

func printSources(env *cmdEnv, srcs []storage.Source, subs map[uint64]storage.Subscription) {
	tw := tabwriter.NewWriter(env.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tTAGS\tSTATUS\tLAST FETCH\tNEXT DUE\tERRORS\tITEMS")
	now := time.Now()
	for _, s := range srcs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", s.URL, strings.Join(s.Tags, ","),
			sourceStatus(s), ago(now, s.State.LastFetch), dueIn(now, s), errorStreak(s), s.Stats.Items)
	}
	tw.Flush()
	printSubscriptions(env, srcs, subs, now)
}

// printSubscriptions lists the sources' WebSub subscriptions: state,
// hub, lease end, last push.
func printSubscriptions(env *cmdEnv, srcs []storage.Source, subs map[uint64]storage.Subscription, now time.Time) {
	if len(subs) == 0 {
		return
	}
	fmt.Fprintln(env.stdout)
	tw := tabwriter.NewWriter(env.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WEBSUB\tSTATE\tHUB\tLEASE ENDS\tLAST PUSH")
	for _, s := range srcs {
		sub, ok := subs[s.ID]
		if !ok {
			continue
		}
		state := sub.State
		if sub.Reason != "" {
			state += ": " + sub.Reason
		}
		lease := "-"
		if !sub.LeaseEnd.IsZero() {
			lease = "in " + sub.LeaseEnd.Sub(now).Round(time.Minute).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.URL, state, sub.Hub, lease, ago(now, sub.LastPush))
	}
	tw.Flush()
}

func sourceStatus(s storage.Source) string {
	st := s.State
	switch {
	case st.Retired:
		return "retired (410 Gone)"
	case s.Paused:
		return "paused"
	case st.LastFetch.IsZero():
		return "new"
	case st.LastError != "" && st.LastStatus != 0 && !strings.Contains(st.LastError, strconv.Itoa(st.LastStatus)):
		return fmt.Sprintf("error: HTTP %d: %s", st.LastStatus, st.LastError)
	case st.LastError != "":
		return "error: " + st.LastError
	case st.LastStatus == 304:
		return "ok (304)"
	}
	return "ok"
}

// errorStreak is the ERRORS column: failures in a row and the backoff
// they earned (the wait from the last fetch to the next), or a note that
// the last failure was not counted because the network was down.
func errorStreak(s storage.Source) string {
	st := s.State
	switch {
	case st.NetworkDown:
		return fmt.Sprintf("%d (network down, not counted)", st.ErrorStreak)
	case st.ErrorStreak == 0:
		return "0"
	case st.Retired:
		return strconv.Itoa(st.ErrorStreak)
	}
	wait := st.NextDue.Sub(st.LastFetch).Round(time.Minute)
	if st.RetryUntil.After(st.LastFetch) {
		return fmt.Sprintf("%d (Retry-After %s)", st.ErrorStreak, st.RetryUntil.Sub(st.LastFetch).Round(time.Second))
	}
	return fmt.Sprintf("%d (backoff %s)", st.ErrorStreak, wait)
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}

func dueIn(now time.Time, s storage.Source) string {
	switch {
	case s.State.Retired || s.Paused:
		return "-"
	case s.State.RetryUntil.After(now):
		return "after " + s.State.RetryUntil.Sub(now).Round(time.Second).String() + " (Retry-After)"
	case !s.State.NextDue.After(now):
		return "now"
	}
	return "in " + s.State.NextDue.Sub(now).Round(time.Second).String()
}
