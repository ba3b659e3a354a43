package feedserver

import (
	"errors"
	"maps"

	"github.com/feedmill/feedmill/feedserver/render"
)

// Formats are the feed formats a channel is served in, by file extension.
var Formats = render.Formats

// formatHTML is the HTML preview of a channel; Render accepts it too.
const formatHTML = "html"

// contentTypes by format, the preview's included.
var contentTypes = func() map[string]string {
	m := maps.Clone(render.ContentTypes)
	m[formatHTML] = "text/html; charset=utf-8"
	return m
}()

// ErrUnknownChannel and ErrUnknownFormat are returned (wrapped) by Render
// for a channel or format that does not exist.
var (
	ErrUnknownChannel = errors.New("unknown channel")
	ErrUnknownFormat  = render.ErrUnknownFormat
)

// renderFormat writes d as a feed, or as the HTML preview.
func renderFormat(format string, d *render.Doc) ([]byte, error) {
	if format == formatHTML {
		return renderPreview(d)
	}
	return render.Render(format, d)
}
