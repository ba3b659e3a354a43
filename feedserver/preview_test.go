package feedserver

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill/feedserver/channel"
	"github.com/feedmill/feedmill/feedserver/render"
	"github.com/feedmill/feedmill/storage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// previewDoc is a small channel with every field the preview shows.
func previewDoc(t testing.TB) *render.Doc {
	t.Helper()
	ch, err := channel.Compile(Channel{Name: "world", Title: "World news", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return &render.Doc{
		Channel: ch,
		Base:    "https://feeds.example.org",
		Version: "test",
		Sources: map[uint64]storage.Source{
			1: {ID: 1, URL: "https://a.example/feed.xml", Title: "Alpha Times", State: storage.FetchState{SiteURL: "https://a.example/"}},
			2: {ID: 2, URL: "https://b.example/rss", State: storage.FetchState{FeedTitle: "Beta Daily"}},
		},
		Items: []storage.Item{
			{
				ID: 12, SourceID: 2, Story: 7, Link: "https://b.example/story?id=3",
				Title: "Rivers rise & towns <evacuate>", Summary: "<p>Water levels <b>rose</b>.</p>",
				Content: "<p>Full story with <a href=\"https://b.example/x\">link</a>.</p>",
				Author:  "Jane Roe", Categories: []string{"weather", "floods"},
				Enclosures: []storage.Enclosure{{URL: "https://b.example/a.mp3", Type: "audio/mpeg", Length: 12345}},
				Published:  t0.Add(-time.Hour), Updated: t0.Add(-30 * time.Minute),
			},
			{
				ID: 5, SourceID: 1, Link: "https://a.example/2024/elections",
				Title: "Elections called", Summary: "Parliament dissolved.",
				Published: t0.Add(-3 * time.Hour),
			},
		},
	}
}

// TestPreviewGolden: the HTML preview of a channel, byte for byte
// (go test -update rewrites testdata/world.html).
func TestPreviewGolden(t *testing.T) {
	got, err := renderPreview(previewDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "world.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("preview differs from %s:\n%s", golden, got)
	}
	d := previewDoc(t)
	d.Items = nil
	if _, err := renderPreview(d); err != nil {
		t.Errorf("empty preview: %v", err)
	}
}
