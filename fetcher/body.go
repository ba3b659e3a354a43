package fetcher

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
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit && resp.Header.Get("Content-Encoding") == "" {
		// Announced too large and not compressed: refuse before reading.
		return nil, &BodyTooLargeError{Limit: limit}
	}
	r, err := decodeBody(resp.Body, resp.Header.Get("Content-Encoding"))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
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
