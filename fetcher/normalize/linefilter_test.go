package normalize

import (
	"strings"
	"testing"

	"github.com/feedmill/feedmill/fetcher/boilerplate"
)

// FuzzLineFilter: the cleaning pass's line filter (lineText.notCruft) never
// marks a line that a rule matches (boilerplate.Match is the rules
// without the filter, as boilerplate's FuzzCruftRule checks).
func FuzzLineFilter(f *testing.F) {
	for _, l := range []string{"READ MORE: Minister resigns", "Don’t miss — quiz", "  Related\tarticles ",
		"Share on Facebook", "The post Ten tips appeared first on Garden Weekly.", "Readers were asked to read more."} {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var w lineText
		w.write([]byte(line))
		if w.notCruft && boilerplate.Match(string(w.b)) != "" {
			t.Errorf("line %q (text %q) marked as no cruft, but rule %q matches", line, w.b, boilerplate.Match(string(w.b)))
		}
		if w.notCruft {
			// Its full text, too.
			full := strings.Join(strings.Fields(line), " ")
			if name := boilerplate.Match(full); name != "" && len([]rune(full)) <= boilerplate.MaxLine {
				t.Errorf("line %q marked as no cruft, but rule %q matches it", line, name)
			}
		}
	})
}
