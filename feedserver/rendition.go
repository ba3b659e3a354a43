package feedserver

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// brotliLevel trades build time for size: the bodies are compressed once
// per rendition and served many times, but a rebuild of a large channel
// must not take seconds either.
const brotliLevel = 5

// gzipLevel is flate's default level: within a few percent of the best
// compression for feed documents, at a fraction of its time, which a
// channel that changes with every ingest pays on each rebuild.
const gzipLevel = gzip.DefaultCompression

// brotliWindow is the log2 of brotli's window: 512 KiB covers most feed
// documents whole, and keeps each pooled writer's ring buffer small (the
// default window at this level is 4 MiB).
const brotliWindow = 19

// A rendition is one rendered document as served: immutable once built.
// It holds the body in every content coding it is served in, each with the
// header values of its responses prepared when it is built.
type rendition struct {
	codings      [numCodings]coded // indexed by coding
	etag         string            // strong, of the identity body: `"hex"`
	lastModified time.Time
	contentType  string

	// Header values shared by every coding. Never modified.
	hdrLastModified, hdrContentType []string

	// Freshness: rebuilt when the resolution's source IDs differ, the
	// store's version for them moved, or validUntil passed.
	ids        []uint64
	allSources bool
	version    uint64
	validUntil time.Time // zero = no expiry
	// gen orders renditions of one channel by the store state they show:
	// the store's global version when it was read (cache.put).
	gen uint64
}

// coding is a content coding a rendition is served in.
type coding int

const (
	identity coding = iota
	gzipped
	brotlied
	numCodings
)

// coded is a rendition's body in one content coding with its validators.
type coded struct {
	body []byte
	etag string
	// Header values, each a one-element slice without spare capacity, so
	// an Add by anyone else copies instead of writing into them.
	hdrETag, hdrLength, hdrEncoding []string
}

// body is the identity body: the document itself.
func (r *rendition) body() []byte { return r.codings[identity].body }

// size is what r holds in memory, for the cache's budget: the bodies and
// a rough allowance for the rest.
func (r *rendition) size() int64 {
	n := int64(512 + 8*len(r.ids))
	for i := range r.codings {
		n += int64(len(r.codings[i].body))
	}
	return n
}

// fresh reports whether r still shows what the store holds.
func (r *rendition) fresh(ids []uint64, version uint64, now time.Time) bool {
	if r.version != version || r.allSources != (ids == nil) || !slices.Equal(r.ids, ids) {
		return false
	}
	return r.validUntil.IsZero() || now.Before(r.validUntil)
}

// newRendition computes the validators and the compressed codings of body.
func newRendition(body []byte, contentType string, lastModified time.Time) (*rendition, error) {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	gz, err := compress(&gzipWriters, body)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	br, err := compress(&brotliWriters, body)
	if err != nil {
		return nil, fmt.Errorf("brotli: %w", err)
	}
	r := &rendition{
		etag:         `"` + tag + `"`,
		lastModified: lastModified.UTC().Truncate(time.Second),
		contentType:  contentType,
	}
	r.codings[identity] = newCoded(body, r.etag, "")
	r.codings[gzipped] = newCoded(gz, `"`+tag+`-gz"`, "gzip")
	r.codings[brotlied] = newCoded(br, `"`+tag+`-br"`, "br")
	r.hdrContentType = one(contentType)
	r.setLastModified(r.lastModified)
	return r, nil
}

// resetWriter is a compressor that can start over on a new destination.
type resetWriter interface {
	io.WriteCloser
	Reset(dst io.Writer)
}

// The compressors are pooled: a brotli writer's tables alone are several
// MB, too much to allocate for every rendition built.
var (
	gzipWriters = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzipLevel) // the level is valid
		return w
	}}
	brotliWriters = sync.Pool{New: func() any {
		return brotli.NewWriterOptions(io.Discard, brotli.WriterOptions{Quality: brotliLevel, LGWin: brotliWindow})
	}}
)

// compress returns body compressed by a writer from pool, in a slice of
// its own length.
func compress(pool *sync.Pool, body []byte) ([]byte, error) {
	w := pool.Get().(resetWriter)
	var b bytes.Buffer
	w.Reset(&b)
	_, err := w.Write(body)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	w.Reset(io.Discard) // let go of b
	pool.Put(w)
	if err != nil {
		return nil, err
	}
	return slices.Clip(b.Bytes()), nil
}

func newCoded(body []byte, etag, encoding string) coded {
	c := coded{body: body, etag: etag, hdrETag: one(etag), hdrLength: one(strconv.Itoa(len(body)))}
	if encoding != "" {
		c.hdrEncoding = one(encoding)
	}
	return c
}

// setLastModified sets r's Last-Modified time and its header value.
func (r *rendition) setLastModified(t time.Time) {
	r.lastModified = t.UTC().Truncate(time.Second)
	r.hdrLastModified = one(r.lastModified.Format(http.TimeFormat))
}

// Header values shared by every rendition.
var (
	hdrCacheControl = one("public, max-age=60")
	hdrVary         = one("Accept-Encoding")
	hdrNoSniff      = one("nosniff")
	hdrCSP          = one(htmlCSP)
)

func one(v string) []string { return []string{v}[:1:1] }
