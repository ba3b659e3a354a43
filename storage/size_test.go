package storage

import (
	"os"
	"testing"
)

func TestSizeIsTheFileSize(t *testing.T) {
	path := t.TempDir() + "/size.db"
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Size()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != fi.Size() || got == 0 {
		t.Errorf("Size() = %d, file is %d bytes", got, fi.Size())
	}
}
