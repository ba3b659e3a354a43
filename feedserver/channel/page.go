package channel

import (
	"errors"
	"fmt"
	"strconv"
)

// Pagination (RFC 5005 section 3, "paged feeds"): a channel shows its
// newest PageSize items; when more match, page 2 holds the next PageSize,
// and so on.

// ErrNoPage is returned (wrapped) for a page past a channel's last.
var ErrNoPage = errors.New("no such page")

// maxPageItems bounds how deep pages reach into a channel: a page whose
// items would start past it does not exist.
const maxPageItems = 10000

// pageBounds returns the index of the page's first item and how many items
// to select to know whether a page follows it.
func pageBounds(limit, page int) (first, want int) {
	first = limit * (page - 1)
	return first, first + limit + 1
}

// cutPage returns the page of items starting at first, and whether more
// follow it.
func cutPage[T any](all []T, first, limit int) ([]T, bool) {
	if first >= len(all) {
		return nil, false
	}
	end := min(first+limit, len(all))
	return all[first:end], len(all) > end
}

// ParsePage reads a ?page= query value for a channel of limit items a
// page: "" is page 1; a page deeper than maxPageItems is ErrNoPage.
func ParsePage(v string, limit int) (int, error) {
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("page %q: want a number from 1", v)
	}
	if limit*(n-1) >= maxPageItems {
		return 0, fmt.Errorf("%w %d", ErrNoPage, n)
	}
	return n, nil
}
