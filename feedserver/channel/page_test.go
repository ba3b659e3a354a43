package channel

import (
	"fmt"
	"testing"
)

func TestCutPage(t *testing.T) {
	all := []int{0, 1, 2, 3, 4}
	tests := []struct {
		first, limit int
		want         string
		more         bool
	}{
		{0, 2, "[0 1]", true},
		{2, 2, "[2 3]", true},
		{4, 2, "[4]", false},
		{0, 5, "[0 1 2 3 4]", false},
		{5, 2, "[]", false},
	}
	for _, tt := range tests {
		got, more := cutPage(all, tt.first, tt.limit)
		if fmt.Sprint(got) != tt.want || more != tt.more {
			t.Errorf("cutPage(%d, %d) = %v %v, want %s %v", tt.first, tt.limit, got, more, tt.want, tt.more)
		}
	}
}
