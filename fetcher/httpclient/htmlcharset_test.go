package httpclient

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestHTMLToUTF8(t *testing.T) {
	cyr, _ := charmap.Windows1251.NewEncoder().String("Городской совет")
	latin, _ := charmap.Windows1252.NewEncoder().String("café crème")
	pad := strings.Repeat("<p>ascii only padding</p>", 100) // past the first kilobyte
	tests := []struct {
		name, body, ct, want string
	}{
		{"header", cyr, "text/html; charset=windows-1251", "Городской совет"},
		{"meta charset", `<meta charset="windows-1251">` + cyr, "text/html", "Городской совет"},
		{"meta http-equiv", `<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">` + cyr, "", "Городской совет"},
		{"utf-8 after the first kilobyte", pad + "it’s", "text/html", "it’s"},
		{"utf-8 labelled latin-1", "it’s", "text/html; charset=iso-8859-1", "it’s"},
		{"undeclared windows-1252", latin, "text/html", "café crème"},
	}
	for _, tt := range tests {
		got := string(HTMLToUTF8([]byte(tt.body), tt.ct))
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q lacks %q", tt.name, got[max(0, len(got)-80):], tt.want)
		}
	}
}
