// Package xmlscan holds the pieces of a narrow XML lexer that follows a
// document the way encoding/xml (non-strict, as gofeed sets it) reads
// it: where a tag, comment, directive or processing instruction ends,
// which names it reads, whether an XML declaration leaves the document in
// UTF-8. fetcher/parse/lift and fetcher/knowncut build their scans from
// them and give up wherever these say no.
//
// It does not parse feeds, decode text or build a tree.
package xmlscan
