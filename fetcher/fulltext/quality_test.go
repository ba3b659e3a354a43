package fulltext_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/feedmill/feedmill/fetcher/fulltext"
	"github.com/feedmill/feedmill/fetcher/httpclient"
	"github.com/feedmill/feedmill/fetcher/normalize"
)

// articlesDir is the shared article-extraction set (SOURCE there).
const articlesDir = "../../../shared/testdata/articles"

// article is one page of the set with the body a person marked on it.
type article struct {
	key, truth string
	url        *url.URL
	page       []byte // UTF-8
	title      string
	teaser     string // the page's own description, as a teaser feed carries it
}

func loadArticles(tb testing.TB) []article {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(articlesDir, "ground-truth.json"))
	if err != nil {
		tb.Skipf("article set not available: %v", err)
	}
	var gt map[string]struct {
		ArticleBody string `json:"articleBody"`
		URL         string `json:"url"`
	}
	if err := json.Unmarshal(raw, &gt); err != nil {
		tb.Fatal(err)
	}
	keys := make([]string, 0, len(gt))
	for k := range gt {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []article
	for _, k := range keys {
		gz, err := os.ReadFile(filepath.Join(articlesDir, "html", k+".html.gz"))
		if err != nil {
			tb.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			tb.Fatal(err)
		}
		u, err := url.Parse(gt[k].URL)
		if err != nil {
			tb.Fatal(err)
		}
		page := httpclient.HTMLToUTF8(b, "text/html")
		title, teaser := pageMeta(page)
		out = append(out, article{key: k, truth: gt[k].ArticleBody, url: u, page: page, title: title, teaser: teaser})
	}
	return out
}

// pageMeta is the page's <title> and its description (og:description,
// else description): what a teaser feed would carry of the article.
func pageMeta(page []byte) (title, teaser string) {
	z := html.NewTokenizer(bytes.NewReader(page))
	var og, desc string
	inTitle := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			if og != "" {
				desc = og
			}
			return strings.TrimSpace(title), desc
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			switch t.Data {
			case "title":
				inTitle = title == ""
			case "meta":
				var name, content string
				for _, a := range t.Attr {
					switch a.Key {
					case "name", "property":
						name = strings.ToLower(a.Val)
					case "content":
						content = a.Val
					}
				}
				if name == "og:description" && og == "" {
					og = content
				} else if name == "description" && desc == "" {
					desc = content
				}
			}
		case html.TextToken:
			if inTitle {
				title += string(z.Text())
			}
		case html.EndTagToken:
			inTitle = false
		}
	}
}

// shingles counts the text's word 4-shingles (words as the benchmark's
// \w+ runs, case kept).
func shingles(text string) map[string]int {
	w := fulltext.Words(text)
	m := make(map[string]int)
	for i := 0; i+4 <= len(w); i++ {
		m[strings.Join(w[i:i+4], " ")]++
	}
	return m
}

// score is the benchmark's per-page true positives, false positives and
// false negatives of shingles, normalized to sum to 1 so that long pages
// weigh no more than short ones.
func score(truth, got string) (tp, fp, fn float64) {
	a, b := shingles(truth), shingles(got)
	for k, n := range a {
		m := b[k]
		tp += float64(min(n, m))
		fn += float64(max(n-m, 0))
	}
	for k, m := range b {
		fp += float64(max(m-a[k], 0))
	}
	if s := tp + fp + fn; s > 0 {
		return tp / s, fp / s, fn / s
	}
	return 0, 0, 0
}

// quality is F1, precision and recall over the pages, as the benchmark
// sums them.
type quality struct{ tp, fp, fn float64 }

func (q *quality) add(truth, got string) {
	tp, fp, fn := score(truth, got)
	q.tp, q.fp, q.fn = q.tp+tp, q.fp+fp, q.fn+fn
}

func (q quality) figures() (f1, p, r float64) {
	p, r = q.tp/(q.tp+q.fp), q.tp/(q.tp+q.fn)
	return 2 * p * r / (p + r), p, r
}

// feedmillContent is what a reader of the channel gets of a page: the
// story extracted with the page's description as the teaser, cleaned like
// every body.
func feedmillContent(a article) (string, error) {
	st, err := fulltext.Extract(a.page, a.url, fulltext.Options{Teaser: a.teaser})
	if err != nil {
		return "", err
	}
	return normalize.CleanStory(a.title, st.HTML, a.url).Content, nil
}

// TestArticleQuality holds the extraction's F1 over the article set above
// a floor below its measured figure (BenchmarkArticles prints it).
func TestArticleQuality(t *testing.T) {
	arts := loadArticles(t)
	var q quality
	for _, a := range arts {
		content, _ := feedmillContent(a)
		q.add(a.truth, fulltext.HTMLText(content))
	}
	f1, p, r := q.figures()
	t.Logf("F1 %.4f precision %.4f recall %.4f over %d pages", f1, p, r, len(arts))
	if f1 < 0.955 {
		t.Errorf("F1 %.4f below 0.955", f1)
	}
}

// BenchmarkArticles reports F1, precision and recall of the feedmill path
// over the article set, and the time per page of the library alone
// (readability-ms/page: parse, readability, render) and of the whole path
// (ms/page: Extract with our passes, then the cleaning every body gets;
// the text for scoring is not timed), each the fastest of the b.N rounds.
func BenchmarkArticles(b *testing.B) {
	arts := loadArticles(b)
	var q quality
	var lib, all time.Duration // the fastest round of each: the machine's load only adds
	for i := 0; i < b.N; i++ {
		q = quality{}
		var l, a time.Duration
		for _, art := range arts {
			t0 := time.Now()
			_, _ = fulltext.Readability(art.page, art.url)
			t1 := time.Now()
			content, _ := feedmillContent(art)
			a += time.Since(t1)
			l += t1.Sub(t0)
			q.add(art.truth, fulltext.HTMLText(content))
		}
		if i == 0 || l < lib {
			lib = l
		}
		if i == 0 || a < all {
			all = a
		}
	}
	f1, p, r := q.figures()
	n := float64(len(arts))
	b.ReportMetric(f1, "F1")
	b.ReportMetric(p, "precision")
	b.ReportMetric(r, "recall")
	b.ReportMetric(float64(lib.Microseconds())/1000/n, "readability-ms/page")
	b.ReportMetric(float64(all.Microseconds())/1000/n, "ms/page")
}
