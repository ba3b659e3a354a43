package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/feedmill/feedmill/feedserver"
)

// cmdExplain tells why an item of a channel was shown, changed, dropped or
// collapsed, or sums up the channel. With a running daemon it asks the
// daemon (the store is locked); else it opens the store itself.
func cmdExplain(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usagef("want CHANNEL and at most one LINK or ID")
	}
	name, ref := pos[0], ""
	if len(pos) == 2 {
		ref = pos[1]
	}
	var ex feedserver.Explanation
	if d := dialDaemon(cfg); d != nil {
		q := url.Values{"channel": {name}, "ref": {ref}}
		if err := d.callJSON(ctx, http.MethodGet, "/v1/explain?"+q.Encode(), nil, &ex); err != nil {
			return err
		}
	} else {
		st, log, err := openReadStore(ctx, cfg, env)
		if err != nil {
			return err
		}
		defer st.Close()
		srv, err := newPublisher(cfg, st, log, nil)
		if err != nil {
			return err
		}
		if ex, err = srv.Explain(name, ref); err != nil {
			if errors.Is(err, feedserver.ErrUnknownChannel) {
				return usagef("%v", err)
			}
			return err
		}
	}
	printExplanation(env.stdout, &ex)
	return nil
}

// explain answers GET /v1/explain?channel=NAME&ref=LINK|ID on the control
// socket.
func (c *controlServer) explain(w http.ResponseWriter, r *http.Request) {
	pub := c.publisher()
	if pub == nil {
		http.Error(w, "no publisher", http.StatusServiceUnavailable)
		return
	}
	ex, err := pub.Explain(r.URL.Query().Get("channel"), r.URL.Query().Get("ref"))
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, feedserver.ErrUnknownChannel) || errors.Is(err, feedserver.ErrUnknownItem) {
			code = http.StatusNotFound
		}
		http.Error(w, err.Error(), code)
		return
	}
	writeJSON(w, ex)
}

func printExplanation(w io.Writer, ex *feedserver.Explanation) {
	if s := ex.Summary; s != nil {
		fmt.Fprintf(w, "channel %s: %d items read, %d shown, %d stories collapsed from several sources\n",
			ex.Channel, s.Considered, s.Shown, s.Stories)
		printCounts(w, "dropped or collapsed", s.Dropped)
		printCounts(w, "cleaned at ingest", s.Cleaned)
		printCounts(w, "lines stripped by", s.Stripped)
		return
	}
	it := ex.Item
	fmt.Fprintf(w, "item %d (story %d) in channel %s\n  title:     %s\n  source:    %s\n  link:      %s\n  published: %s\n",
		it.ID, it.Story, ex.Channel, it.Title, it.Source, it.Link, it.Published.Format("2006-01-02 15:04 MST"))
	switch it.Status {
	case "shown":
		fmt.Fprintln(w, "  status:    shown")
	case "collapsed":
		fmt.Fprintf(w, "  status:    collapsed %s\n", it.Detail)
	default:
		fmt.Fprintf(w, "  status:    %s by %s: %s\n", it.Status, it.Rule, it.Detail)
	}
	if len(it.Cleaned) > 0 {
		fmt.Fprintf(w, "  cleaned at ingest by: %s\n", strings.Join(it.Cleaned, ", "))
	}
	if len(it.Stripped) > 0 {
		fmt.Fprintf(w, "  lines stripped by: %s\n", strings.Join(it.Stripped, ", "))
	}
	fmt.Fprintf(w, "  full text: %s\n", fullTextLine(it.FullText))
	for _, c := range it.Copies {
		shown := ""
		if c.Shown {
			shown = " (shown)"
		}
		fmt.Fprintf(w, "  same story: item %d%s from %s, %s\n    similarity %.2f (simhash distance %d, lead containment %.2f)\n",
			c.ID, shown, c.Source, c.Link, c.Similarity.Score, c.Similarity.SimHashDistance, c.Similarity.LeadContainment)
	}
}

func printCounts(w io.Writer, what string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s:\n", what)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(w, "    %-20s %d\n", k, m[k])
	}
}
