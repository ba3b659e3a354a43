package fingerprint

import (
	"math/bits"
	"slices"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/storage"
)

func TestFingerprint(t *testing.T) {
	body := `<p>The regional council voted on Tuesday to close three rural schools next year, citing falling enrolment and a budget gap of four million euros.</p>
<p>Parents protested outside the council building before the vote, and several councillors said they would appeal the decision to the education ministry.</p>
<p>The schools, in the villages of Alder, Brook and Caddow, teach fewer than forty pupils between them.</p>`
	it := func(title, body string) storage.Item {
		x := storage.Item{Title: title, Content: body}
		fingerprintItem(&x)
		return x
	}
	a := it("Council votes to close three rural schools", body)
	if a.Fingerprint == 0 || len(a.Lead) < 50 {
		t.Fatalf("fingerprint %x, lead %d shingles", a.Fingerprint, len(a.Lead))
	}
	// Markup and case do not matter.
	b := it("COUNCIL VOTES TO CLOSE THREE RURAL SCHOOLS", strings.ReplaceAll(body, "<p>", "<p><span></span>"))
	if a.Fingerprint != b.Fingerprint || !slices.Equal(a.Lead, b.Lead) {
		t.Error("markup or case changed the fingerprint")
	}
	// A new headline moves few bits.
	c := it("Three village schools to shut after council vote", body)
	if d := bits.OnesCount64(a.Fingerprint ^ c.Fingerprint); d > 12 {
		t.Errorf("new headline: distance %d", d)
	}
	if !slices.Equal(a.Lead, c.Lead) {
		t.Error("the headline changed the lead")
	}
	// A different story is far away.
	d := it("Storm closes harbour", `<p>A storm forced the harbour authority to close the port on Wednesday as waves of six metres hit the breakwater, and ferries to the islands were cancelled until further notice.</p>`)
	if dist := bits.OnesCount64(a.Fingerprint ^ d.Fingerprint); dist < 16 {
		t.Errorf("different story: distance %d", dist)
	}
	// Too short for a fingerprint.
	if e := it("Short", "<p>Just a few words here.</p>"); e.Fingerprint != 0 || len(e.Lead) >= 8 {
		t.Errorf("short text: fingerprint %x, lead %d", e.Fingerprint, len(e.Lead))
	}
}

// BenchmarkFingerprint: one 800-word article (about 5 KB of HTML).
func BenchmarkFingerprint(b *testing.B) {
	words := strings.Fields(`the minister said on tuesday that talks would resume next week after a breakdown over funding for the new rail line which critics say has run years late and billions over budget while residents of the northern districts complain of noise dust and closed roads`)
	var sb strings.Builder
	for i := range 800 {
		if i%40 == 0 {
			sb.WriteString("<p>")
		}
		sb.WriteString(words[(i*7)%len(words)])
		sb.WriteByte(' ')
		if i%40 == 39 {
			sb.WriteString("</p>\n")
		}
	}
	it := storage.Item{Title: "Talks to resume over rail funding", Content: sb.String()}
	b.SetBytes(int64(len(it.Content)))
	b.ReportAllocs()
	for b.Loop() {
		x := it
		fingerprintItem(&x)
	}
}

// fingerprintItem sets it's fingerprint as the item cleaning does: the
// body is Content, else Summary.
func fingerprintItem(it *storage.Item) {
	body := it.Content
	if body == "" {
		body = it.Summary
	}
	it.Fingerprint, it.Lead = Of(it.Title, body)
}
