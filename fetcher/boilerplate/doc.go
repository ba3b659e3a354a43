// Package boilerplate holds the named news-cruft rules ("READ MORE:",
// "DON'T MISS:", "Related: ...", share buttons, newsletter pitches...):
// given the text of one line of an item's body, Match says which rule, if
// any, removes it. The names end up in Item.Cleaned.
//
// It judges text only: it does not parse HTML, decide what a line is, or
// remove anything itself (the item cleaning in fetcher/normalize does).
package boilerplate
