package normalize

import (
	"net/url"
	"strconv"

	"github.com/mmcdole/gofeed"

	"github.com/feedmill/feedmill/fetcher/parse"
	"github.com/feedmill/feedmill/storage"
)

// rawVersion is part of every raw hash: change it when the cleaning of
// bodies changes what it stores, so that known items are cleaned again.
const rawVersion = "feedmill-raw-1"

// rawHash is the hash of what an item's stored form is made of, before
// its bodies are cleaned: the prepared fields (it), the raw bodies, how
// its image is to be found, and the base URL its bodies resolve against.
// The same raw hash under the same identity means cleaning would store
// the same item again (FeedSkipping).
func rawHash(it *storage.Item, raw *gofeed.Item, base *url.URL) uint64 {
	h := newFieldHash()
	field := h.field
	field(rawVersion)
	field(base.String())
	field(it.GUID)
	field(it.Link)
	field(it.Title)
	field(it.Author)
	field(it.AuthorMail)
	field(it.Language)
	field(it.Image)
	field(it.Published.String())
	field(it.Updated.String())
	for _, l := range [][]string{it.Categories, it.Images} {
		field(strconv.Itoa(len(l)))
		for _, s := range l {
			field(s)
		}
	}
	field(strconv.Itoa(len(it.Enclosures)))
	for _, e := range it.Enclosures {
		field(e.URL)
		field(e.Type)
		field(strconv.FormatInt(e.Length, 10))
		field(strconv.FormatInt(e.Duration, 10))
	}
	c, d := parse.ImageScan(raw.Image)
	field(strconv.FormatBool(c) + strconv.FormatBool(d))
	field(raw.Description)
	field(raw.Content)
	return uint64(h)
}

// fieldHash is FNV-1a 64 over length-prefixed fields, so that no two
// lists of fields concatenate alike.
type fieldHash uint64

func newFieldHash() fieldHash { return fnvOffset }

func (h *fieldHash) field(s string) {
	x := uint64(*h)
	for n := uint64(len(s)); ; n >>= 8 {
		x = (x ^ n&0xff) * fnvPrime
		if n < 0x100 {
			break
		}
	}
	for i := 0; i < len(s); i++ {
		x = (x ^ uint64(s[i])) * fnvPrime
	}
	*h = fieldHash(x)
}

// FNV-1a 64.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)
