package httpclient

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// acceptEncoding is what we ask for; the transport's own gzip handling is
// off so that the body limit counts decompressed bytes.
const acceptEncoding = "gzip, br"

// BodyTooLargeError is returned when a response body, after decompression,
// is larger than Options.MaxBody.
type BodyTooLargeError struct{ Limit int64 }

// Error says "body exceeds N bytes".
func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("body exceeds %d bytes", e.Limit)
}

// readBody returns the decoded body of resp, at most limit bytes of it.
// It undoes Content-Encoding (gzip, x-gzip, br, deflate; a list is undone
// last first) and then one more gzip layer when the body still starts with
// the gzip magic (a .xml.gz file served as is, or a body gzipped twice).
//
// The body is read into buf (its length is ignored; nil is fine) and
// returned in it when it fits, in a larger slice otherwise.
func readBody(resp *http.Response, limit int64, buf []byte) ([]byte, error) {
	if resp.ContentLength > limit && resp.Header.Get("Content-Encoding") == "" {
		// Announced too large and not compressed: refuse before reading.
		return nil, &BodyTooLargeError{Limit: limit}
	}
	r, err := decodeBody(resp.Body, resp.Header.Get("Content-Encoding"))
	if err != nil {
		return nil, err
	}
	if n := resp.ContentLength; n > 0 && n <= limit && int64(cap(buf)) <= n {
		// Room for the announced bytes and the read that sees EOF (a
		// compressed body grows from there).
		buf = make([]byte, 0, n+512)
	}
	data, err := readAll(io.LimitReader(r, limit+1), buf[:0])
	if int64(len(data)) > limit {
		return nil, &BodyTooLargeError{Limit: limit}
	}
	if err != nil {
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		return nil, err
	}
	return data, nil
}

// decodeBody wraps body in the decoders that Content-Encoding ce names.
func decodeBody(body io.Reader, ce string) (io.Reader, error) {
	var codings []string
	for _, c := range strings.Split(ce, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	r := body
	for i := len(codings) - 1; i >= 0; i-- {
		switch codings[i] {
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("decompress gzip: %w", err)
			}
			r = zr
		case "br":
			r = brotli.NewReader(r)
		case "deflate":
			// "deflate" is zlib by the RFC, raw deflate by some servers.
			br := bufio.NewReader(r)
			if zr, err := zlib.NewReader(peekReader(br, 2)); err == nil {
				_ = zr.Close()
				zr, _ := zlib.NewReader(br)
				r = zr
			} else {
				r = flate.NewReader(br)
			}
		default:
			return nil, fmt.Errorf("unsupported Content-Encoding %q", codings[i])
		}
	}
	// A gzip file served without Content-Encoding, or gzipped twice.
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("decompress gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// peekReader returns a reader over the next n buffered bytes of br without
// consuming them.
func peekReader(br *bufio.Reader, n int) io.Reader {
	b, _ := br.Peek(n)
	return bytes.NewReader(b)
}

// readAll is io.ReadAll appending to b, doubling its capacity when full.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	if cap(b) == 0 {
		b = make([]byte, 0, 4096)
	}
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			nb := make([]byte, len(b), 2*cap(b))
			copy(nb, b)
			b = nb
		}
	}
}

// bodyCache keeps the buffers bodies were read into for the next
// responses: reading every poll's feed (1 MB is common) into a new
// buffer is most of the fetcher's garbage. A sync.Pool would not do:
// the garbage collector empties it, and between two polls of a worker
// there is always a collection. The cache is bounded: buffers up to
// maxPooledBody bytes, maxBodyCache bytes in all.
type bodyCache struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int
}

const (
	maxPooledBody = 4 << 20
	maxBodyCache  = 32 << 20
)

// get returns a buffer to read a body into (nil when there is none).
func (c *bodyCache) get() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.free)
	if n == 0 {
		return nil
	}
	b := c.free[n-1]
	c.free[n-1] = nil
	c.free = c.free[:n-1]
	c.bytes -= cap(b)
	return b[:0]
}

// put keeps b for a later get, if it fits the bounds. Nothing may use b
// afterwards.
func (c *bodyCache) put(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledBody {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+cap(b) > maxBodyCache {
		return
	}
	c.free = append(c.free, b[:0])
	c.bytes += cap(b)
}
