package gzsniff

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// TestDecompress reads plain text as it is, gzip decompressed, and refuses a broken header.
func TestDecompress(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("line\n"))
	zw.Close()
	for _, tc := range []struct {
		name, in string
		zipped   bool
	}{
		{"plain", "line\n", false}, {"gzip", gz.String(), true}, {"empty", "", false},
		{"one byte", "\x1f", false},
	} {
		r, zipped, err := Decompress(bufio.NewReader(strings.NewReader(tc.in)))
		if err != nil || zipped != tc.zipped {
			t.Fatalf("%s: zipped %v, %v", tc.name, zipped, err)
		}
		got, _ := io.ReadAll(r)
		if want := strings.TrimPrefix(tc.in, gz.String()); tc.zipped && string(got) != "line\n" ||
			!tc.zipped && string(got) != want {
			t.Errorf("%s: read %q", tc.name, got)
		}
	}
	if _, zipped, err := Decompress(bufio.NewReader(strings.NewReader("\x1f\x8bjunk"))); err ==
		nil || !zipped {
		t.Errorf("a broken gzip header: zipped %v, err %v", zipped, err)
	}
}
