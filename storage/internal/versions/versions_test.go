package versions

import "testing"

func TestCounter(t *testing.T) {
	var v Counter
	v.Init()
	all0, a0 := v.Get(nil), v.Get([]uint64{1})
	v.Bump(1)
	if v.Get(nil) <= all0 || v.Get([]uint64{1}) <= a0 {
		t.Errorf("a change of source 1 moved nothing: %d %d", v.Get(nil), v.Get([]uint64{1}))
	}
	if v.Get([]uint64{2}) != a0 {
		t.Errorf("source 2 moved with source 1: %d", v.Get([]uint64{2}))
	}
	if v.Get([]uint64{}) != a0 {
		t.Errorf("no sources: %d, want the base %d", v.Get([]uint64{}), a0)
	}
	one := v.Get([]uint64{1})
	v.Bump()
	if v.Get([]uint64{1}) != one || v.Get(nil) <= one {
		t.Errorf("a global change: source 1 %d (was %d), all %d", v.Get([]uint64{1}), one, v.Get(nil))
	}
	if got := v.Get([]uint64{2, 1}); got != one {
		t.Errorf("sources 2 and 1: %d, want %d", got, one)
	}
}
