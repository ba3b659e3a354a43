package feedserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/feedmill/feedmill/internal/logonce"
)

// WebSub (W3C): with Options.WebSubHub set, every feed names the hub
// (RSS and Atom <link rel="hub">, JSON Feed "hubs"), and WatchHub tells
// the hub when a channel's content changed, so subscribers get it pushed
// instead of polling. A hub that fails is logged once per run of failed
// pings (internal/logonce), not per ping.

// hubClient pings the hub; a slow hub never holds up serving.
var hubClient = &http.Client{Timeout: 20 * time.Second}

// WatchHub checks every `every` whether a channel's first page changed
// since the last look and, when it did, pings the hub for each of the
// channel's feed URLs (RSS, Atom, JSON Feed). The first look only records
// where the channels stand: nothing is pinged for content the hub may
// already have. Without a hub it returns at once; else it returns when ctx
// ends.
func (s *Server) WatchHub(ctx context.Context, every time.Duration) {
	if s.hub == "" || s.store == nil {
		return
	}
	seen := map[string]string{} // channel -> ETag of its Atom feed at the last look
	pings := logonce.New(s.log, logonce.Messages{
		Start:   "websub: hub ping failed",
		Ongoing: "websub: hub pings still failing",
		End:     "websub: hub answers again",
		Unit:    "pings",
	}, 0, nil)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, ch := range s.channels {
			r, err := s.get(ch.Name, "atom", 1)
			if err != nil {
				s.readFailed(ch.Name, err, "channel", ch.Name, "for", "websub")
				continue
			}
			last, known := seen[ch.Name]
			seen[ch.Name] = r.etag
			if !known || last == r.etag {
				continue
			}
			for _, f := range Formats {
				topic := s.base + "/channels/" + ch.Name + "." + f
				if err := pingHub(ctx, s.hub, topic); err != nil {
					pings.Fail(err, "hub", s.hub, "topic", topic)
					s.log.Debug("websub: ping failed", "hub", s.hub, "topic", topic, "err", err)
				} else {
					pings.OK()
					s.log.Debug("websub: pinged", "hub", s.hub, "topic", topic)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pingHub sends a WebSub publish notification for topic.
func pingHub(ctx context.Context, hub, topic string) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hubClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("hub answered HTTP %d", resp.StatusCode)
	}
	return nil
}
