package storage

import "time"

// Source is a feed feedmill polls. Its configuration fields (URL, Title,
// Tags, Every, Cron, Origin, Paused) are written by UpsertSource; its State
// is written only by RecordFetch, so a fetch that finishes while a user edits
// the source never overwrites the user's change.
type Source struct {
	ID  uint64 `json:"id"`
	URL string `json:"url"` // the URL fetched now (after permanent redirects)
	// Subscribed is the URL the source was added with. After a permanent
	// redirect it stays an alias (SourceByURL and UpsertSource find the
	// source by it), so the config that lists it keeps matching.
	Subscribed string        `json:"subscribed,omitempty"`
	Title      string        `json:"title,omitempty"` // user's override; empty = the feed's own title
	Tags       []string      `json:"tags,omitempty"`
	Every      time.Duration `json:"every,omitempty"` // per-source interval; 0 = the default
	Cron       string        `json:"cron,omitempty"`  // per-source cron expression; wins over Every
	Origin     string        `json:"origin,omitempty"`
	Paused     bool          `json:"paused,omitempty"`
	// Priority orders copies of one story across sources: lower wins.
	// Sources from the config get their position in the file.
	Priority int `json:"priority,omitempty"`

	// Lease is set by Claimer.ClaimDue: the token RecordFetch must carry
	// (Fetch.Lease) for its write to count. 0 = not claimed.
	Lease uint64 `json:"-"`

	Added time.Time   `json:"added"`
	State FetchState  `json:"state"`
	Stats SourceStats `json:"stats"`
}

// Origins of a source: where it was added. The config wins over the others
// on conflict.
const (
	OriginConfig = "config"
	OriginCLI    = "cli"
	OriginAPI    = "api"
	OriginOPML   = "opml"
)

// DisplayTitle is the user's title, else the feed's, else the URL.
func (s Source) DisplayTitle() string {
	switch {
	case s.Title != "":
		return s.Title
	case s.State.FeedTitle != "":
		return s.State.FeedTitle
	}
	return s.URL
}

// Known reports whether u is the source's URL or the URL it was
// subscribed with.
func (s Source) Known(u string) bool { return u == s.URL || u == s.Subscribed }

// HasTag reports whether the source carries tag t.
func (s Source) HasTag(t string) bool {
	for _, have := range s.Tags {
		if have == t {
			return true
		}
	}
	return false
}

// FetchState is what the fetcher learned the last time it polled a source.
// The fetcher computes it; storage only persists it.
type FetchState struct {
	// HTTP validators for the next conditional GET.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`

	// From the feed document.
	FeedTitle string `json:"feed_title,omitempty"`
	SiteURL   string `json:"site_url,omitempty"`
	Language  string `json:"language,omitempty"`

	LastFetch   time.Time `json:"last_fetch,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastStatus  int       `json:"last_status,omitempty"` // HTTP status, 0 = no response
	LastError   string    `json:"last_error,omitempty"`  // "" after a success
	ErrorStreak int       `json:"error_streak,omitempty"`

	NextDue    time.Time     `json:"next_due,omitzero"`
	RetryUntil time.Time     `json:"retry_until,omitzero"` // a Retry-After window: never fetched before this
	Interval   time.Duration `json:"interval,omitempty"`   // the interval that gave NextDue
	Retired    bool          `json:"retired,omitempty"`    // 410 Gone: kept, listed, never fetched
	// Hints the feed and the server gave for the schedule.
	TTL        time.Duration `json:"ttl,omitempty"`
	SkipHours  []int         `json:"skip_hours,omitempty"`
	SkipDays   []string      `json:"skip_days,omitempty"`
	CacheUntil time.Time     `json:"cache_until,omitzero"`
	// UpdatePeriod is the feed's sy:updatePeriod / sy:updateFrequency as
	// one interval; 0 = none.
	UpdatePeriod time.Duration `json:"update_period,omitempty"`
	// PublishGap is the median gap between the newest item dates the feed
	// carried, and NewestItem the newest of them: the source's observed
	// publishing rate, from which the adaptive interval is computed.
	PublishGap time.Duration `json:"publish_gap,omitempty"`
	NewestItem time.Time     `json:"newest_item,omitzero"`
	// NetworkDown marks a failure recorded while the whole network was
	// unreachable: it did not grow ErrorStreak.
	NetworkDown bool `json:"network_down,omitempty"`
}

// SourceStats are kept up to date by storage as items come and go.
type SourceStats struct {
	Items     int       `json:"items"`
	ChangedAt time.Time `json:"changed_at,omitzero"` // last time an item was added, updated or removed
}

// Item is one entry of a source, normalized by the fetcher. Text fields are
// valid UTF-8; Link is canonical and absolute; Published is never zero.
type Item struct {
	ID       uint64 `json:"id"`     // assigned by storage, stable for the item's life
	SourceID uint64 `json:"source"` // assigned by storage from the Fetch
	// Key is the item's identity within its source: "g:"+GUID, "l:"+link or
	// "h:"+hash of title and content. Storage derives it (see identity.go).
	Key string `json:"key"`

	GUID       string      `json:"guid,omitempty"`
	Link       string      `json:"link,omitempty"`
	Title      string      `json:"title,omitempty"`   // plain text
	Summary    string      `json:"summary,omitempty"` // HTML
	Content    string      `json:"content,omitempty"` // HTML
	Author     string      `json:"author,omitempty"`
	AuthorMail string      `json:"author_email,omitempty"`
	Categories []string    `json:"categories,omitempty"`
	Enclosures []Enclosure `json:"enclosures,omitempty"`
	Image      string      `json:"image,omitempty"`
	// Images are all of the item's images, in the source's order (Image
	// is the first of them). Items stored before Images existed have
	// Image only: AllImages reads both.
	Images   []string `json:"images,omitempty"`
	Language string   `json:"language,omitempty"`

	Published time.Time `json:"published"`        // ordering time: the feed's date, else first seen
	Updated   time.Time `json:"updated,omitzero"` // last change of the body under the same identity
	FirstSeen time.Time `json:"first_seen"`       // when feedmill stored it
	Hash      uint64    `json:"hash,omitempty"`   // of the body fields, to tell an update from a repeat

	// Near-duplicate detection: a fingerprint of the cleaned
	// text and the story the item belongs to (the ID of the story's first
	// item; 0 = its own story).
	Fingerprint uint64 `json:"fp,omitempty"`
	Story       uint64 `json:"story,omitempty"`
	// Lead is the hashes of the word 3-shingles of the body's first words,
	// in text order (the fetcher fills it). Storage keeps it in the
	// near-duplicate index (dedup.go), not in the item's value.
	Lead []uint32 `json:"-"`
	// Cleaned names the cleaning rules that changed the item at ingest
	// (boilerplate rules, tracking pixels, iframes), for `feedmill explain`.
	Cleaned []string `json:"cleaned,omitempty"`
	// FullText, when set, tells what became of the item's article page:
	// its story stored as Content, or why the feed's body stayed.
	FullText *FullText `json:"full_text,omitempty"`

	// RawHash is the fetcher's hash of the item as the feed sent it,
	// before cleaning (0 = none). Storage keeps it with the item's
	// identity (KnownRaw), not in the item's value.
	RawHash uint64 `json:"-"`
	// Known marks an item the fetcher did not clean because KnownRaw
	// found it stored with the same RawHash: its bodies are empty, and
	// RecordFetch counts it unchanged and writes nothing of it.
	Known bool `json:"-"`
}

// FullText is the outcome of fetching an item's article page for its
// story (the fetcher decides when; storage keeps it with the item).
type FullText struct {
	URL       string    `json:"url"`                 // the page's final URL
	Fetched   bool      `json:"fetched"`             // the story replaced the feed's body
	Extractor string    `json:"extractor,omitempty"` // "readability" or "selector"
	Selector  string    `json:"selector,omitempty"`  // the content_selector used
	Words     int       `json:"words,omitempty"`     // words of the story
	Reason    string    `json:"reason,omitempty"`    // why not, when not fetched
	Attempts  int       `json:"attempts,omitempty"`  // page requests made for it
	At        time.Time `json:"at,omitzero"`
}

// Enclosure is a media file attached to an item.
type Enclosure struct {
	URL    string `json:"url"`
	Type   string `json:"type,omitempty"`
	Length int64  `json:"length,omitempty"`
	// Duration is the playing time in seconds (itunes:duration); 0 = not
	// known.
	Duration int64 `json:"duration,omitempty"`
}

// AllImages returns the item's images: Images, else Image alone.
func (it *Item) AllImages() []string {
	if len(it.Images) > 0 {
		return it.Images
	}
	if it.Image != "" {
		return []string{it.Image}
	}
	return nil
}

// Fetch is the outcome of polling one source, written in one transaction:
// the new fetch state, the new URL after a permanent redirect, and the items
// the feed carried (none on a 304 or an error).
type Fetch struct {
	SourceID uint64
	// Lease is the Source.Lease the source was claimed with (0 = not
	// claimed). A store that hands out leases drops the fetch with
	// ErrLeaseLost when the source's lease moved on meanwhile (it ran out
	// and another process claimed the source).
	Lease  uint64
	NewURL string // "" = unchanged
	State  FetchState
	Items  []Item
}

// Ingested counts what RecordFetch did with a Fetch's items.
type Ingested struct {
	Added     int // new items
	Updated   int // known identity, changed body
	Unchanged int // known identity, same body
	Skipped   int // older than retention, or removed by retention before
	Removed   int // dropped by retention for this source
	// Changed lists the items added or updated, by their index in
	// Fetch.Items, with the ID the store gave them.
	Changed []Changed
}

// Changed is one item a RecordFetch added or updated.
type Changed struct {
	Index int    // in Fetch.Items
	ID    uint64 // the stored item's ID
	Added bool   // new, not an update
}

// Retention bounds what the store keeps. Zero values mean no bound.
type Retention struct {
	MaxAge            time.Duration
	MaxItemsPerSource int
}

// Query selects items newest first.
type Query struct {
	SourceIDs []uint64  // nil = every source; empty non-nil = none
	Since     time.Time // only items Published at or after Since; zero = no bound
}
