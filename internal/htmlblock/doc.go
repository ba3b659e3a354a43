// Package htmlblock reads an HTML fragment as lines of text — block
// elements (p, div, li, h1…) and the runs of inline content between <br>s
// — and removes the lines a rule matches. feedserver uses it for a
// channel's `strip` regexes, the fetcher for plain-text bodies; the
// fetcher's single cleaning pass over HTML bodies reads lines by the same
// block and media tables (IsBlockAtom, IsMediaAtom). Both must judge whole
// lines, never patch raw HTML with a regex.
//
// It is a library without a room of its own: it knows HTML, nothing of
// feeds, the store or channels.
package htmlblock
