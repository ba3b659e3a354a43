package feedserver

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A rendition is one rendered document as served: immutable once built.
type rendition struct {
	body         []byte
	gzipped      []byte
	etag         string // strong, of body: `"hex"`
	etagGzip     string // of the gzip encoding: `"hex-gz"`
	lastModified time.Time
	contentType  string

	// Header values built once (see serveRendition): assigned as they are
	// into responses' header maps. Never modified.
	hdr renditionHeaders

	// file holds body and gzipped for sendfile (sendfile.go); nil = served
	// from memory.
	file *bodyFile
	// wire is the response headers the hot loop writes (hotloop.go); nil
	// for renditions it does not answer.
	wire *[2][2]hotWire

	// Freshness: rebuilt when the resolution's source IDs differ, the
	// store's version for them moved, or validUntil passed.
	ids        []uint64
	allSources bool
	version    uint64
	validUntil time.Time // zero = no expiry
}

// fresh reports whether r still shows what the store holds.
func (r *rendition) fresh(ids []uint64, version uint64, now time.Time) bool {
	if r.version != version || r.allSources != (ids == nil) || !slices.Equal(r.ids, ids) {
		return false
	}
	return r.validUntil.IsZero() || now.Before(r.validUntil)
}

// newRendition computes the validators and the gzip encoding of body.
func newRendition(body []byte, contentType string, lastModified time.Time) (*rendition, error) {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	r := &rendition{
		body:         body,
		gzipped:      gz.Bytes(),
		etag:         `"` + tag + `"`,
		etagGzip:     `"` + tag + `-gz"`,
		lastModified: lastModified.UTC().Truncate(time.Second),
		contentType:  contentType,
	}
	r.buildHeaders()
	return r, nil
}

// renditionHeaders are a rendition's response header values, each a
// one-element slice with no spare capacity (an Add by anyone else copies).
type renditionHeaders struct {
	etag, etagGzip, lastModified, contentType []string
	length, lengthGzip                        []string
}

// Header values shared by every rendition.
var (
	hdrCacheControl = []string{"public, max-age=60"}[:1:1]
	hdrVary         = []string{"Accept-Encoding"}[:1:1]
	hdrNoSniff      = []string{"nosniff"}[:1:1]
	hdrGzip         = []string{"gzip"}[:1:1]
	hdrCSP          = []string{htmlCSP}[:1:1]
)

func one(v string) []string { return []string{v}[:1:1] }

// buildHeaders fills r.hdr; call it again after changing lastModified.
func (r *rendition) buildHeaders() {
	r.hdr = renditionHeaders{
		etag:         one(r.etag),
		etagGzip:     one(r.etagGzip),
		lastModified: one(r.lastModified.Format(http.TimeFormat)),
		contentType:  one(r.contentType),
		length:       one(strconv.Itoa(len(r.body))),
		lengthGzip:   one(strconv.Itoa(len(r.gzipped))),
	}
}

// slot caches the rendition of one (channel, format). Readers of a fresh
// rendition take no lock; builders serialize on mu, so concurrent requests
// for a stale entry build once.
type slot struct {
	mu  sync.Mutex
	cur atomic.Pointer[rendition]
}

// cacheKey names one cached document: page 1 of a channel in a format has
// page 1; older pages (see pagination.go) count up from 2.
type cacheKey struct {
	channel, format string
	page            int
}

// maxCachedPages bounds the slots made for pages after the first; pages
// past it are built for each request.
const maxCachedPages = 256

// cache holds one slot per (channel, format) for the first page, fixed at
// New, and slots for older pages made as they are asked for.
type cache struct {
	slots  map[cacheKey]*slot
	builds atomic.Int64 // renditions built, for tests

	pagesMu sync.Mutex
	pages   map[cacheKey]*slot
}

// slot returns the slot of k, false when the channel or format is unknown.
func (c *cache) slot(k cacheKey) (*slot, bool) {
	if sl, ok := c.slots[k]; ok || k.page <= 1 {
		return sl, ok
	}
	if _, ok := c.slots[cacheKey{k.channel, k.format, 1}]; !ok {
		return nil, false
	}
	c.pagesMu.Lock()
	defer c.pagesMu.Unlock()
	if sl := c.pages[k]; sl != nil {
		return sl, true
	}
	sl := &slot{}
	if len(c.pages) < maxCachedPages {
		c.pages[k] = sl
	}
	return sl, true
}

func newCache(chs []*channel) *cache {
	c := &cache{slots: map[cacheKey]*slot{}, pages: map[cacheKey]*slot{}}
	for _, ch := range chs {
		for _, f := range append(slices.Clone(Formats), formatHTML) {
			c.slots[cacheKey{ch.Name, f, 1}] = &slot{}
		}
	}
	return c
}
