package main

// OPML import and export of sources: `feedmill import FILE.opml` and
// `feedmill export`. Both go through the daemon's control socket when one
// holds the store.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/feedmill/feedmill/storage"
)

// opmlFile is an OPML 1.0/2.0 document, as much of it as feeds need.
type opmlFile struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Category string        `xml:"category,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

// importFeed is one feed of an OPML file: its URL and tags.
type importFeed struct {
	URL  string   `json:"url"`
	Tags []string `json:"tags,omitempty"`
}

// importResult says what an import did.
type importResult struct {
	Added    []string `json:"added"`
	Existing []string `json:"existing"` // already in the store (the config's included): left as they are
}

// parseOPML reads the feeds of an OPML document. An outline with an
// xmlUrl is a feed; the text (else title) of the outlines around it and its
// category attribute ("a,b" or "/a/b") become its tags. A feed listed twice
// gets the tags of both. Any bad feed URL fails the whole file.
func parseOPML(r io.Reader) ([]importFeed, error) {
	var doc opmlFile
	dec := xml.NewDecoder(r)
	dec.CharsetReader = nil
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not an OPML file: %w", err)
	}
	var feeds []importFeed
	index := map[string]int{}
	var errs []error
	var walk func(outs []opmlOutline, tags []string)
	walk = func(outs []opmlOutline, tags []string) {
		for _, o := range outs {
			name := strings.TrimSpace(o.Text)
			if name == "" {
				name = strings.TrimSpace(o.Title)
			}
			if o.XMLURL == "" {
				inner := tags
				if name != "" {
					inner = append(slices.Clone(tags), name)
				}
				walk(o.Outlines, inner)
				continue
			}
			u, err := url.Parse(strings.TrimSpace(o.XMLURL))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("outline %q: xmlUrl %q is not an absolute http(s) URL", name, o.XMLURL))
				continue
			}
			ft := append(slices.Clone(tags), splitCategories(o.Category)...)
			if i, ok := index[u.String()]; ok {
				feeds[i].Tags = append(feeds[i].Tags, ft...)
			} else {
				index[u.String()] = len(feeds)
				feeds = append(feeds, importFeed{URL: u.String(), Tags: ft})
			}
			walk(o.Outlines, tags)
		}
	}
	walk(doc.Body, nil)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range feeds {
		slices.Sort(feeds[i].Tags)
		feeds[i].Tags = slices.Compact(feeds[i].Tags)
	}
	return feeds, nil
}

// splitCategories splits an OPML category attribute: comma-separated
// slash paths; every path segment is a tag.
func splitCategories(attr string) []string {
	var out []string
	for _, path := range strings.Split(attr, ",") {
		for _, seg := range strings.Split(path, "/") {
			if seg = strings.TrimSpace(seg); seg != "" {
				out = append(out, seg)
			}
		}
	}
	return out
}

// importSources adds the feeds a store does not hold yet, with origin
// "opml". Feeds it holds (by URL or the URL they were subscribed with) are
// left alone, so importing a file twice adds nothing.
func importSources(ctx context.Context, st storage.Store, feeds []importFeed) (importResult, error) {
	res := importResult{Added: []string{}, Existing: []string{}}
	var todo []importFeed
	for _, f := range feeds {
		_, err := st.SourceByURL(f.URL)
		switch {
		case err == nil:
			res.Existing = append(res.Existing, f.URL)
		case errors.Is(err, storage.ErrNotFound):
			todo = append(todo, f)
		default:
			return res, err
		}
	}
	for _, f := range todo {
		if _, err := addSourceFrom(ctx, st, f.URL, f.Tags, storage.OriginOPML); err != nil {
			return res, fmt.Errorf("add %s: %w", f.URL, err)
		}
		res.Added = append(res.Added, f.URL)
	}
	return res, nil
}

// exportOPML writes the sources as OPML 2.0: grouped in an outline per
// first tag, every tag also in the category attribute, so `feedmill
// import` gives the same tags back.
func exportOPML(srcs []storage.Source) ([]byte, error) {
	doc := opmlFile{Version: "2.0", Title: "feedmill sources"}
	groups := map[string]int{}
	for _, s := range srcs {
		o := opmlOutline{Text: s.DisplayTitle(), Title: s.DisplayTitle(), Type: "rss", XMLURL: s.URL, HTMLURL: s.State.SiteURL}
		if len(s.Tags) == 0 {
			doc.Body = append(doc.Body, o)
			continue
		}
		o.Category = strings.Join(s.Tags, ",")
		i, ok := groups[s.Tags[0]]
		if !ok {
			i = len(doc.Body)
			groups[s.Tags[0]] = i
			doc.Body = append(doc.Body, opmlOutline{Text: s.Tags[0], Title: s.Tags[0]})
		}
		doc.Body[i].Outlines = append(doc.Body[i].Outlines, o)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// cmdImport adds an OPML file's feeds as sources.
func cmdImport(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one FILE.opml")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	feeds, err := parseOPML(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was imported)", pos[0], err)
	}
	var res importResult
	err = withStore(ctx, cfg, env, func(d *daemonClient) error {
		return d.callJSON(ctx, "POST", "/v1/import", feeds, &res)
	}, func(st storage.Store) (err error) {
		res, err = importSources(ctx, st, feeds)
		return err
	})
	if err != nil {
		return err
	}
	for _, u := range res.Added {
		fmt.Fprintf(env.stdout, "added %s\n", u)
	}
	fmt.Fprintf(env.stdout, "imported %s: %d sources added, %d already there\n", pos[0], len(res.Added), len(res.Existing))
	return nil
}

// cmdExport writes every source as OPML on stdout.
func cmdExport(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, pos, err := env.load(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("export takes no arguments")
	}
	var srcs []storage.Source
	err = withReadStore(ctx, cfg, env, func(d *daemonClient) error {
		return d.callJSON(ctx, "GET", "/v1/sources", nil, &srcs)
	}, func(st storage.Store) (err error) {
		srcs, err = st.Sources()
		return err
	})
	if err != nil {
		return err
	}
	out, err := exportOPML(srcs)
	if err != nil {
		return err
	}
	_, err = env.stdout.Write(out)
	return err
}
