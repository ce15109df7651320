package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/volscan"
)

// TestScanJSONEscapesPaths checks a non-UTF-8 name survives JSON as an escaped, readable path.
func TestScanJSONEscapesPaths(t *testing.T) {
	in := "d 02770 0 3000 .\nf 0644 0 0 ./bad-\xff-name\n"
	res, _, err := volscan.ListingCheck(strings.NewReader(in), "l", volscan.Options{FSGroup: 3000})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep := &volscan.Report{Mode: "check", FSGroupSource: "flag", Listing: true, Check: res}
	if err := ScanJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Verdict   string
		BySubtree []volscan.Group
		Walk      any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Verdict != "unsafe" || len(doc.BySubtree) != 1 ||
		doc.BySubtree[0].Examples[0] != `./bad-\xff-name` || doc.Walk != nil {
		t.Errorf("document: %s", buf.String())
	}

	buf.Reset()
	if err := ScanText(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `./bad-\xff-name`) {
		t.Errorf("text output lacks the escaped path:\n%s", buf.String())
	}
}
